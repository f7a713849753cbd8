#include "broker/agent/materialize.h"

#include <fstream>

namespace spikeline::broker {
namespace {

namespace fs = std::filesystem;

bool isSafe(const fs::path& p) {
  if (p.empty() || p.is_absolute()) return false;
  for (const auto& part : p) {
    if (part == "..") return false;
  }
  return true;
}

Status writeFile(const fs::path& path, const std::string& bytes) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) return unavailable("cannot write " + path.string());
  return Status::ok();
}

}  // namespace

Result<std::vector<MaterializedStage>> materializeAssignment(const Assignment& assignment,
                                                             const fs::path& dir) {
  std::vector<MaterializedStage> out;
  for (const auto& st : assignment.stages) {
    const fs::path yaml_name = fs::path(st.file_name).filename();
    if (!isSafe(yaml_name)) return invalidArgument("bad model file name '" + st.file_name + "'");
    const fs::path base = dir / st.model.toString();
    for (const auto& [name, bytes] : st.files) {
      if (!isSafe(name)) return invalidArgument("unsafe weight file name '" + name + "'");
      SPIKELINE_RETURN_IF_ERROR(writeFile(base / name, bytes));
    }
    SPIKELINE_RETURN_IF_ERROR(writeFile(base / yaml_name, st.yaml));
    out.push_back(MaterializedStage{st.model, st.stage, base / yaml_name});
  }
  return out;
}

}  // namespace spikeline::broker

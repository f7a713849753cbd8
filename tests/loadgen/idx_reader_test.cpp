#include "loadgen/idx_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/status_matchers.h"

namespace spikeline::loadgen {
namespace {

std::vector<uint8_t> idx(std::vector<uint32_t> dims, size_t data_bytes, uint8_t type = 0x08) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  }
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i % 10));
  return b;
}

class IdxFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("loadgen_idx_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  std::string writeGz(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return path;
  }
  std::filesystem::path dir_;
};

TEST(IdxParseTest, ReadsDimsAndData) {
  ASSERT_OK_AND_ASSIGN(IdxArray a, parseIdx(idx({2, 3, 4}, 24), "mem"));
  EXPECT_EQ(a.dims, (std::vector<uint32_t>{2, 3, 4}));
  ASSERT_EQ(a.data.size(), 24u);
  EXPECT_EQ(a.data[13], 3);
}

TEST(IdxParseTest, RejectsCorruptInputWithTheSourceNamed) {
  auto expectInvalid = [](const std::vector<uint8_t>& bytes, const std::string& needle) {
    Result<IdxArray> r = parseIdx(bytes, "x.idx");
    EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("x.idx: "), std::string::npos);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status();
  };
  expectInvalid({0, 0, 8}, "shorter");
  expectInvalid({1, 0, 8, 1, 0, 0, 0, 0}, "magic");
  expectInvalid(idx({4}, 4, 0x0D), "not unsigned byte");
  expectInvalid(idx({}, 0), "rank 0");
  expectInvalid({0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, "truncated IDX header");
  expectInvalid(idx({10, 28, 28}, 10 * 28 * 28 - 1), "truncated");
  expectInvalid(idx({3}, 5), "trailing");
}

TEST_F(IdxFiles, ReadsPlainAndGzipFilesAlike) {
  const auto bytes = idx({5, 2, 2}, 20);
  ASSERT_OK_AND_ASSIGN(IdxArray plain, readIdxFile(write("a.idx", bytes)));
  ASSERT_OK_AND_ASSIGN(IdxArray gz, readIdxFile(writeGz("a.idx.gz", bytes)));
  EXPECT_EQ(plain.dims, gz.dims);
  EXPECT_EQ(plain.data, gz.data);
}

TEST_F(IdxFiles, TruncatedGzipIsAnError) {
  std::vector<uint8_t> big = idx({1000, 28, 28}, 1000 * 28 * 28);
  for (size_t i = 16; i < big.size(); ++i) big[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  const std::string full = writeGz("full.gz", big);
  std::ifstream in(full, std::ios::binary);
  std::vector<char> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  gz.resize(gz.size() / 2);
  const std::string cut = write("cut.gz", std::vector<uint8_t>(gz.begin(), gz.end()));
  EXPECT_STATUS_CODE(readIdxFile(cut), StatusCode::kInvalidArgument);
}

TEST_F(IdxFiles, MissingFileIsNotFound) {
  EXPECT_STATUS_CODE(readIdxFile((dir_ / "nope.idx").string()), StatusCode::kNotFound);
}

TEST_F(IdxFiles, ImageSetChecksRanksCountsAndLabels) {
  const std::string images = write("img", idx({3, 2, 2}, 12));
  ASSERT_OK_AND_ASSIGN(ImageSet set, readImageSet(images, write("lab", idx({3}, 3))));
  EXPECT_EQ(set.count, 3u);
  EXPECT_EQ(set.rows, 2u);
  EXPECT_EQ(set.image(1).size(), 4u);
  EXPECT_EQ(set.image(1)[0], 4);
  EXPECT_EQ(set.labels, (std::vector<uint8_t>{0, 1, 2}));

  EXPECT_STATUS_CODE(readImageSet(images, write("lab4", idx({4}, 4))),
                     StatusCode::kInvalidArgument);
  EXPECT_STATUS_CODE(readImageSet(write("flat", idx({12}, 12)), write("l3", idx({3}, 3))),
                     StatusCode::kInvalidArgument);
  std::vector<uint8_t> bad_labels = idx({3}, 3);
  bad_labels.back() = 10;
  Result<ImageSet> r = readImageSet(images, write("bad", bad_labels));
  EXPECT_STATUS_CODE(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("label 10 at index 2"), std::string::npos) << r.status();
}

TEST(FashionMnistTest, ReadsTheInstalledTestSet) {
  const std::string dir(kFashionMnistDir);
  if (!std::filesystem::exists(dir + "/t10k-images-idx3-ubyte.gz") &&
      !std::filesystem::exists(dir + "/t10k-images-idx3-ubyte")) {
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  }
  ASSERT_OK_AND_ASSIGN(ImageSet set, readFashionMnist(dir, /*test_split=*/true));
  EXPECT_EQ(set.count, 10000u);
  EXPECT_EQ(set.rows, 28u);
  EXPECT_EQ(set.cols, 28u);
  EXPECT_EQ(set.labels.size(), 10000u);
  std::vector<int> per_class(10, 0);
  for (uint8_t l : set.labels) per_class[l]++;
  for (int c = 0; c < 10; ++c) EXPECT_EQ(per_class[c], 1000) << c;  // balanced test split
  EXPECT_EQ(set.labels[0], 9);  // the first test image is an ankle boot
}

}  // namespace
}  // namespace spikeline::loadgen

// The .npy reader: every supported dtype, header variants NumPy writes, and malformed files.
#include "npy/npy.h"

#include <cstring>

#include <gtest/gtest.h>

#include "tests/support/status_matchers.h"

namespace spikeline::npy {
namespace {

std::string file(const std::string& header_dict, const std::string& data, int version = 1) {
  std::string h = header_dict;
  const size_t pre = version == 1 ? 10 : 12;
  h.append((64 - (pre + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::string out("\x93NUMPY", 6);
  out += char(version);
  out += char(0);
  out += char(h.size() & 0xff);
  out += char((h.size() >> 8) & 0xff);
  if (version != 1) out += std::string(2, '\0');
  return out + h + data;
}

template <typename T>
std::string raw(std::vector<T> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

TEST(NpyTest, RoundTripsFloat32) {
  const std::vector<float> v{1.5f, -2.0f, 0.0f, 3.25f, 7.0f, 8.0f};
  ASSERT_OK_AND_ASSIGN(Array a, parse(encodeFloat32({2, 3}, v)));
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(a.dtype, "float32");
  EXPECT_EQ(a.values, (std::vector<double>{1.5, -2.0, 0.0, 3.25, 7.0, 8.0}));
  ASSERT_OK_AND_ASSIGN(Array one, parse(encodeFloat32({3}, {1, 2, 3})));
  EXPECT_EQ(one.shape, (std::vector<uint64_t>{3}));
}

TEST(NpyTest, ReadsEveryDtypeAndKeyOrder) {
  ASSERT_OK_AND_ASSIGN(Array b, parse(file("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                                           raw<uint8_t>({1, 0, 1}))));
  EXPECT_EQ(b.dtype, "bool");
  EXPECT_EQ(b.values, (std::vector<double>{1, 0, 1}));
  ASSERT_OK_AND_ASSIGN(Array u, parse(file("{'shape': (2,), 'fortran_order': False, 'descr': '|u1'}",
                                           raw<uint8_t>({255, 7}))));
  EXPECT_EQ(u.values, (std::vector<double>{255, 7}));
  ASSERT_OK_AND_ASSIGN(Array i, parse(file("{'descr': '<i4', 'fortran_order': False, 'shape': (1, 2), }",
                                           raw<int32_t>({-5, 9}), 2)));
  EXPECT_EQ(i.values, (std::vector<double>{-5, 9}));
  ASSERT_OK_AND_ASSIGN(Array d, parse(file("{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                                           raw<double>({0.1}))));
  EXPECT_EQ(d.shape, std::vector<uint64_t>{});
  EXPECT_EQ(d.values, (std::vector<double>{0.1}));
}

TEST(NpyTest, RefusesMalformedFiles) {
  auto message = [](const std::string& bytes) {
    Result<Array> r = parse(bytes);
    return r.isOk() ? std::string("ok") : r.status().message();
  };
  EXPECT_EQ(message("hello"), "npy: not a .npy file (no \\x93NUMPY magic)");
  EXPECT_EQ(message(file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw<float>({1, 2}))),
            "npy: data holds 8 bytes, the shape needs 24 (6 x <f4)");
  EXPECT_EQ(message(file("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", raw<float>({1}))),
            "npy: dtype '>f4' is not supported (bool, uint8, int32, int64, float32, float64, "
            "little-endian)");
  EXPECT_EQ(message(file("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", raw<float>({1}))),
            "npy: fortran_order arrays are not supported (save with np.ascontiguousarray)");
  EXPECT_EQ(message(file("{'descr': '<f4', 'shape': (1,), }", raw<float>({1}))),
            "npy: header: needs descr, fortran_order and shape");
  // A hostile shape cannot make the reader allocate: the data must be in the file.
  EXPECT_EQ(message(file("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000), }", "")),
            "npy: shape is larger than the file's data");
  std::string lying = file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", raw<float>({1}));
  lying[8] = char(0xff);  // header length past the end
  EXPECT_NE(message(lying).find("runs past the file"), std::string::npos);
}

}  // namespace
}  // namespace spikeline::npy

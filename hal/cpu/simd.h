// Small vectorisable loops shared by the CPU kernels (row adds, dot products). Internal to
// hal/cpu. Float dot products use 8 independent partial sums (a fixed order, so results do not
// depend on the compiler); integer sums are exact. Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spikeline::hal::cpu {

// acc[k] += row[k] for k < n.
inline void addRow(float* __restrict acc, const float* __restrict row, size_t n) {
  for (size_t k = 0; k < n; ++k) acc[k] += row[k];
}
inline void addRow(int32_t* __restrict acc, const int8_t* __restrict row, size_t n) {
  for (size_t k = 0; k < n; ++k) acc[k] += row[k];
}
// acc[k] += (r0[k] + r1[k]) + (r2[k] + r3[k]): four weight rows streamed at once (more memory
// parallelism, a quarter of the accumulator loads/stores of four addRow calls).
inline void addRows4(float* __restrict acc, const float* __restrict r0, const float* __restrict r1,
                     const float* __restrict r2, const float* __restrict r3, size_t n) {
  for (size_t k = 0; k < n; ++k) acc[k] += (r0[k] + r1[k]) + (r2[k] + r3[k]);
}
inline void addRows4(int32_t* __restrict acc, const int8_t* __restrict r0,
                     const int8_t* __restrict r1, const int8_t* __restrict r2,
                     const int8_t* __restrict r3, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    acc[k] += (int32_t{r0[k]} + r1[k]) + (int32_t{r2[k]} + r3[k]);
  }
}

// acc[k] += sum of the rows w + idx[j] * stride for j < count, four at a time.
template <typename A, typename W>
void addIndexedRows(A* acc, const W* w, size_t stride, const uint32_t* idx, size_t count,
                    size_t n) {
  size_t j = 0;
  for (; j + 4 <= count; j += 4) {
    addRows4(acc, w + idx[j] * stride, w + idx[j + 1] * stride, w + idx[j + 2] * stride,
             w + idx[j + 3] * stride, n);
  }
  for (; j < count; ++j) addRow(acc, w + idx[j] * stride, n);
}

// acc[k] += a * row[k].
inline void axpy(float* __restrict acc, float a, const float* __restrict row, size_t n) {
  for (size_t k = 0; k < n; ++k) acc[k] += a * row[k];
}
inline void axpy(int64_t* __restrict acc, int64_t a, const int8_t* __restrict row, size_t n) {
  for (size_t k = 0; k < n; ++k) acc[k] += a * row[k];
}

inline float dot(const float* __restrict a, const float* __restrict b, size_t n) {
  float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    for (size_t j = 0; j < 8; ++j) part[j] += a[k + j] * b[k + j];
  }
  float sum = 0.0f;
  for (; k < n; ++k) sum += a[k] * b[k];
  for (size_t j = 0; j < 8; ++j) sum += part[j];
  return sum;
}

// Exact while |sum| < 2^31: callers use it for 0/1 spike inputs with n <= 2^24.
inline int32_t dot32(const int8_t* __restrict w, const int32_t* __restrict x, size_t n) {
  int32_t sum = 0;
  for (size_t k = 0; k < n; ++k) sum += int32_t{w[k]} * x[k];
  return sum;
}

inline int64_t dot(const int8_t* __restrict w, const int32_t* __restrict x, size_t n) {
  int64_t sum = 0;
  for (size_t k = 0; k < n; ++k) sum += int64_t{w[k]} * x[k];
  return sum;
}

}  // namespace spikeline::hal::cpu

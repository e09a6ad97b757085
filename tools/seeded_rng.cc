#include "tools/seeded_rng.h"

#include <cassert>
#include <cmath>

namespace sanji {

SeededRng::SeededRng(uint64_t seed) : engine_(seed) {}

SeededRng::SeededRng(uint64_t seed, uint64_t stream) {
  std::seed_seq seq{
      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
      static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
  engine_.seed(seq);
}

// Lemire, "Fast Random Integer Generation in an Interval" (2019): the high
// word of x * n is uniform in [0, n) once the products whose low word falls
// below 2^64 mod n are rejected.
uint64_t SeededRng::Below(uint64_t n) {
  assert(n > 0);
  unsigned __int128 m = static_cast<unsigned __int128>(engine_()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      m = static_cast<unsigned __int128>(engine_()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t SeededRng::Int(int64_t lo, int64_t hi) {
  assert(lo <= hi);
  // hi - lo + 1 in unsigned arithmetic: 0 means the whole 64-bit range.
  const uint64_t span =
      static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  const uint64_t offset = span == 0 ? engine_() : Below(span);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

double SeededRng::Uniform() {
  return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double SeededRng::Normal() {
  const double u1 = 1.0 - Uniform();  // (0, 1]: log(u1) is finite
  const double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

size_t SeededRng::Weighted(const std::vector<double>& weights) {
  double total = 0;
  for (double w : weights) total += w;
  double x = Uniform() * total;
  size_t last = 0;  // the last index of a positive weight
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    if (x < weights[i]) return i;
    x -= weights[i];
    last = i;
  }
  return last;  // x was not below the last weight, by rounding
}

}  // namespace sanji

// SeededRng: the one seeded random generator of the workload generator
// (tools/gen_workload) and the fault harness (tests/fault), with which a seed
// replays the same run on any C++ standard library.
//
// The engine is std::mt19937_64, whose output the standard fixes for a given
// seed (and std::seed_seq, which the two-argument constructor seeds it
// through, is specified to the bit as well). Every draw on it is our own, not
// a std::*_distribution, whose algorithms each library chooses: integers in a
// range by Lemire's multiply-and-reject method (unbiased), doubles from the
// top 53 bits of one output. Normal() also uses std::log, std::cos and
// std::sqrt; sqrt is exact in IEEE arithmetic, log and cos come from the C
// library's libm and may differ between libms in the last bit, which changes
// a run only where a value that is rounded falls on a boundary.
//
// Thread-safety: none; a SeededRng belongs to one thread. It is copyable (a
// copy goes on with the same sequence, independently) and owns nothing.
#ifndef SANJI_TOOLS_SEEDED_RNG_H_
#define SANJI_TOOLS_SEEDED_RNG_H_

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"

namespace sanji {

class SeededRng {
 public:
  // mt19937_64 seeded with `seed` directly.
  explicit SeededRng(uint64_t seed);
  // A stream of its own for each `stream` under one seed (gen_workload: one
  // per village code): mt19937_64 seeded through std::seed_seq with the four
  // 32-bit halves of seed and stream.
  SeededRng(uint64_t seed, uint64_t stream);

  // The engine's next 64 bits.
  uint64_t Next() { return engine_(); }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n);
  // Uniform in [lo, hi], inclusive; lo <= hi.
  int64_t Int(int64_t lo, int64_t hi);
  // Uniform in [0, 1), a multiple of 2^-53.
  double Uniform();
  // Uniform in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // True with probability p.
  bool Chance(double p) { return Uniform() < p; }
  // Standard normal (Box-Muller; two draws).
  double Normal();
  // Uniform in [first, last], inclusive.
  absl::CivilDay Day(absl::CivilDay first, absl::CivilDay last) {
    return first + Int(0, last - first);
  }
  // An index into `weights`, with probability proportional to its weight
  // (weights >= 0, not all 0).
  size_t Weighted(const std::vector<double>& weights);

  // A uniformly chosen element of a non-empty vector.
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  // Fisher-Yates, from the back.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace sanji

#endif  // SANJI_TOOLS_SEEDED_RNG_H_

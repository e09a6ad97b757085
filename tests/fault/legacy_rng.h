// Temporary: the harness's random generator as it was, until tools/seeded_rng.
#ifndef SANJI_TESTS_FAULT_LEGACY_RNG_H_
#define SANJI_TESTS_FAULT_LEGACY_RNG_H_

#include <cstdint>
#include <random>
#include <vector>

#include "absl/time/civil_time.h"

namespace sanji {

class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : gen_(seed) {}
  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen_);
  }
  double Uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(gen_);
  }
  bool Chance(double p) { return Uniform(0, 1) < p; }
  absl::CivilDay Day(absl::CivilDay first, absl::CivilDay last) {
    return first + Int(0, last - first);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int64_t>(v.size()) - 1))];
  }
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform(0, total);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace sanji

#endif  // SANJI_TESTS_FAULT_LEGACY_RNG_H_

// Temporary: gen_workload's random generator as it was, until seeded_rng.
#ifndef SANJI_TOOLS_LEGACY_RNG_H_
#define SANJI_TOOLS_LEGACY_RNG_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"

namespace sanji {

class SeededRng {
 public:
  SeededRng(uint64_t seed, uint64_t stream) {
    std::seed_seq seq{
        static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
        static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
    gen_.seed(seq);
  }

  int64_t Int(int64_t lo, int64_t hi) {  // inclusive
    return lo +
           static_cast<int64_t>(gen_() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {  // Box-Muller
    double u1 = 1.0 - Uniform();
    double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  absl::CivilDay Day(absl::CivilDay lo, absl::CivilDay hi) {
    return lo + Int(0, hi - lo);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Int(0, static_cast<int64_t>(v.size()) - 1)];
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Int(0, i - 1)]);
  }
  size_t Weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
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

#endif  // SANJI_TOOLS_LEGACY_RNG_H_

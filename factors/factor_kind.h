#pragma once
// The closed set of factor kinds and of the ways a kind reads its numbers from parameters.
#include <cstdint>
#include <string_view>

namespace dgm::factors {

// What a factor computes; dispatch happens once per block of factors of one kind.
enum class FactorKind : std::uint8_t {
  kUnary,        // θ(x_i)
  kPairwise,     // θ(x_i, x_j): a K_i × K_j matrix (Ising and Potts are parametrisations)
  kTable,        // dense table over k variables
  kEnumeration,  // listed valid configurations, everything else −inf
  kOr,           // binary: child = OR(parents), hard
  kAnd,          // binary: child = AND(parents), hard
  kBipartite,    // all-to-all binary pairs between two groups, one weight matrix (RBM layer)
};

// How the log-potential of one factor is read from the parameter buffer.
enum class Potential : std::uint8_t {
  kNone,        // logical kinds: no parameters
  kTable,       // a dense table per factor (last variable fastest)
  kLogOdds,     // binary, one weight w: θ(x) = w·Π_j x_j, x ∈ {0, 1}
  kSpin,        // binary, one weight J: θ(x) = J·Π_j s_j, s = 2x − 1
  kPotts,       // pairwise, one weight J: θ(x_i, x_j) = J·[x_i = x_j]
  kEnumerated,  // one value per listed configuration (enumeration kind)
};

std::string_view kind_name(FactorKind kind);
std::string_view potential_name(Potential potential);

// The name a model file uses for a block of this kind and parametrisation ("ising" for a
// pairwise block read as spins, "potts", ...).
std::string_view declared_kind_name(FactorKind kind, Potential potential);

}  // namespace dgm::factors

// overloaded{lambda...}: a visitor built from lambdas, for std::visit.
// The deduction guide is spelled out because clang 14 (the fuzz build) lacks aggregate CTAD.
#pragma once

namespace sluice {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace sluice

// See dom_text.hpp.
#include "dom_text.hpp"

#include <utility>

namespace zerodrop::walkthrough {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string strip_tags(std::string_view s) {
  std::string out;
  bool in_tag = false;
  for (char c : s) {
    if (c == '<')
      in_tag = true;
    else if (c == '>')
      in_tag = false;
    else if (!in_tag)
      out.push_back(c);
  }
  return out;
}

// The inner HTML of the first <tag ...>...</tag>, or nullopt-like empty pair.
std::pair<bool, std::string_view> inner(std::string_view dom, std::string_view tag) {
  std::string open = "<" + std::string(tag);
  size_t p = dom.find(open);
  while (p != std::string_view::npos) {
    char after = p + open.size() < dom.size() ? dom[p + open.size()] : '\0';
    if (after == '>' || after == ' ') break;
    p = dom.find(open, p + 1);
  }
  if (p == std::string_view::npos) return {false, {}};
  size_t gt = dom.find('>', p);
  if (gt == std::string_view::npos) return {false, {}};
  size_t close = dom.find("</" + std::string(tag) + ">", gt);
  if (close == std::string_view::npos) close = dom.size();
  return {true, dom.substr(gt + 1, close - gt - 1)};
}

}  // namespace

std::string decode_entities(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
      {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
  std::string out;
  for (size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (auto [name, c] : kEntities)
        if (s.substr(i, name.size()) == name) {
          out.push_back(c);
          i += name.size();
          replaced = true;
          break;
        }
    }
    if (!replaced) out.push_back(s[i++]);
  }
  return out;
}

std::string page_text(std::string_view dom) {
  if (auto [found, pre] = inner(dom, "pre"); found)
    return std::string(trim(decode_entities(strip_tags(pre))));
  if (auto [found, body] = inner(dom, "body"); found)
    return std::string(trim(decode_entities(strip_tags(body))));
  return std::string(trim(decode_entities(strip_tags(dom))));
}

}  // namespace zerodrop::walkthrough

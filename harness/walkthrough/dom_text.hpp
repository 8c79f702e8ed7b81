// What a person would read on the page Chromium dumped (--dump-dom).
//
// Contract: page_text() takes the serialised DOM of a loaded page and returns its visible text.
// A text/plain response is shown by Chromium as <pre>BODY</pre>; that text is returned with
// HTML entities decoded. For any other page, the text of <body> with tags removed. Leading and
// trailing whitespace is trimmed. Empty when there is no DOM (the load failed).
#pragma once

#include <string>
#include <string_view>

namespace zerodrop::walkthrough {

std::string page_text(std::string_view dom);
std::string decode_entities(std::string_view s);

}  // namespace zerodrop::walkthrough

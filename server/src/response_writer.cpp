// Response serialization. See response_writer.hpp.
#include "zerodrop/server/response_writer.hpp"

#include <charconv>
#include <cstdio>

namespace zerodrop::server {
namespace {

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_hex(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

}  // namespace

ResponseWriter::ResponseWriter(int pid, std::uint32_t generation) {
  ids_ =
      "X-Pid: " + std::to_string(pid) + "\r\nX-Generation: " + std::to_string(generation) + "\r\n";
}

std::string_view ResponseWriter::reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view ResponseWriter::date_header() {
  // time() is a vDSO call: cheap enough per response; strftime only when the second changes.
  std::time_t now = std::time(nullptr);
  if (now != date_sec_) {
    date_sec_ = now;
    std::tm utc{};
    gmtime_r(&now, &utc);
    date_len_ = std::strftime(date_, sizeof date_, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
  }
  return {date_, date_len_};
}

void ResponseWriter::append_common(std::string& out, int status, const ResponseOptions& opt) {
  out.append("HTTP/1.1 ");
  append_uint(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\nServer: zerodrop\r\n");
  out.append(date_header());
  out.append("Content-Type: text/plain\r\n");
  out.append(ids_);
  if (!opt.keep_alive)
    out.append("Connection: close\r\n");
  else if (opt.version_minor == 0)
    out.append("Connection: keep-alive\r\n");
  out.append(opt.extra_headers);
}

void ResponseWriter::append(std::string& out, int status, std::string_view body,
                            const ResponseOptions& opt) {
  append_common(out, status, opt);
  out.append("Content-Length: ");
  append_uint(out, body.size());
  out.append("\r\n\r\n");
  if (!opt.head_only) out.append(body);
}

void ResponseWriter::append_stream_head(std::string& out, const ResponseOptions& opt) {
  append_common(out, 200, opt);
  if (opt.version_minor >= 1) out.append("Transfer-Encoding: chunked\r\n");
  out.append("\r\n");
}

void ResponseWriter::append_chunk(std::string& out, std::string_view data, bool framed) {
  if (!framed) {
    out.append(data);
    return;
  }
  append_hex(out, data.size());
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

void ResponseWriter::append_last_chunk(std::string& out, bool framed) {
  if (framed) out.append("0\r\n\r\n");
}

void ResponseWriter::append_continue(std::string& out) {
  out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

}  // namespace zerodrop::server

-- GET /slow?ms=N for haproxy.cfg: "hello gin!" after N milliseconds, from HAProxy itself.
core.register_service("slow", "http", function(applet)
  local ms = tonumber(string.match(applet.qs or "", "ms=(%d+)")) or 0
  core.msleep(ms)
  local body = "hello gin!"
  applet:set_status(200)
  applet:add_header("content-type", "text/plain")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end)

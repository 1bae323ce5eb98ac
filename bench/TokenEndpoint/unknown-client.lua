-- A token request for an unknown, well-formed client id (a new one each time, so no per-id limit is reached).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
math.randomseed(os.time())
request = function()
  local hex = ""
  for i = 1, 32 do hex = hex .. string.format("%x", math.random(0, 15)) end
  return wrk.format(nil, nil, nil, "grant_type=client_credentials&client_id=cli_" .. hex .. "&client_secret=not-the-secret")
end

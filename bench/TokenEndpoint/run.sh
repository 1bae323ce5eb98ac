#!/usr/bin/env bash
# bench/TokenEndpoint/run.sh <gateway dll> <database> <label>: CPU per token request, end to end (docs/benchmarks.md).
# Starts that build of the gateway (Production, loopback, rate limits out of reach) on 127.0.0.1:5180 against a new
# database of its own on the local PostgreSQL (scripts/services up), warms it up for 5 s, then sends token requests
# for unknown, well-formed client ids (a new one each request) with wrk (apt-get install wrk) for 20 s, 8 connections,
# and prints the requests and the gateway process's CPU seconds per request (utime + stime from /proc).
# Before/after: build the other commit in a worktree (git worktree add --detach /tmp/old <commit>;
# dotnet build /tmp/old/src/Gateway -c Release) and run both, alternated.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dll="$1"; db="$2"; label="$3"
PGPASSWORD=messaging psql -h 127.0.0.1 -U messaging -d messaging -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
PGPASSWORD=messaging psql -h 127.0.0.1 -U messaging -d messaging -qc "CREATE DATABASE $db" >/dev/null
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production Urls=http://127.0.0.1:5180
export ConnectionStrings__Postgres="Host=127.0.0.1;Database=$db;Username=messaging;Password=messaging"
export ConnectionStrings__RabbitMq="amqp://guest:guest@127.0.0.1:5672/" ConnectionStrings__Redis=127.0.0.1:6379 Redis__KeyPrefix="tokbench-$label:"
export Auth__SigningKeys__0=dG9rZW4tYmVuY2gtc2lnbmluZy1rZXktMDEyMzQ1Njc4OQ== Auth__SecretPeppers__bench=dG9rZW4tYmVuY2gtcGVwcGVyLTAxMjM0NTY3ODlhYmNk
export Messaging__SigningKeys__0=dG9rZW4tYmVuY2gtbWVzc2FnZS1rZXktMDEyMzQ1Njc4OQ== Security__AllowDefaultCredentials=true
export RateLimiting__PerIp__PermitLimit=100000000 RateLimiting__Routes__auth__PerIp__PermitLimit=100000000 Logging__LogLevel__Default=Warning
(cd "$(dirname "$dll")" && exec dotnet "$dll") >"${TMPDIR:-/tmp}/token-endpoint-$label.log" 2>&1 &
pid=$!
for i in $(seq 1 60); do curl -sf http://127.0.0.1:5180/health/live >/dev/null && break; sleep 1; done
wrk -t1 -c8 -d5s -s "$HERE/unknown-client.lua" http://127.0.0.1:5180/api/auth/token >/dev/null # warm-up
read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
out=$(wrk -t1 -c8 -d20s -s "$HERE/unknown-client.lua" http://127.0.0.1:5180/api/auth/token)
read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
requests=$(echo "$out" | awk '/requests in/ {print $1}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
tck=$(getconf CLK_TCK)
python3 -c "import sys; cpu=(($u1+$s1)-($u0+$s0))/$tck; n=$requests; print(f'$label: {n} requests in 20 s ({n/20:.0f}/s), non-2xx {\"$non2xx\"}, gateway CPU {cpu:.2f} s, {cpu/n*1000:.3f} ms per request')"
kill $pid; wait $pid 2>/dev/null || true

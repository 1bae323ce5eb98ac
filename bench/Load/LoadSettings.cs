using System.Globalization;

namespace Messaging.Load;

/// <summary>The command line of the load tool.</summary>
internal sealed record LoadSettings
{
    public const string Usage =
        """
        usage: dotnet run -c Release --project bench/Load -- <scenario> [options]
          scenarios: accept, relay, consume, end-to-end, limiter, backlog, burst
          --concurrency N      concurrent clients (default 64); relay/backlog/burst: the relay's batch and B2's publishes in flight (default 100); consume: prefetch (default 8)
          --duration 20s       measured time per target (ms, s or m; default 20s), after --warmup (default 5s)
          --rate R             open-model arrival rate per second (default: 50 % of the first target's (ours) closed-loop maximum, the same for every target; relay: 50 % of its drain rate;
                               burst: fresh rows per second while the burst drains, default 20)
          --payload BYTES      request body size (default 256)
          --messages N         messages for relay, consume, backlog and burst (defaults 20000, 20000, 100000, 20000)
          --group-commit on|off  the gateway's group commit (accept, end-to-end; default on)
          --relay on|off       the gateway's outbox relay during accept (default on)
          --closed-loop on|off end-to-end: the closed-loop phase (default on); off runs only the constant rate, which needs --rate
          --warm-relay N       relay, backlog, burst: drain N rows through a first relay host in this process (unmeasured, its own database) before
                               the measured one starts, so the measured drain runs jitted code as a long-running gateway does (default 0)
          --workers N          end-to-end: worker processes of ours, and handler processes of the Wolverine peer (1–4, default 1), for CPU per
                               operation per process at one and two workers
          --rounds N           consume: drain N backlogs of --messages one after the other under the same workers (default 1)
          --repeat N           run the whole scenario N times in a row (1–20, default 1); the table then ends with the medians over the
                               repeats of each target's rate, CPU per operation and ratio (each ratio against ours of the same repeat)
          --only a,b           run only these targets (ours, b1, b2, b3, b4, p1, mt; gateway in backlog; before in burst;
                               accept and end-to-end: wolverine (publisher confirms on), wolverine-noconfirm (Wolverine's default))
        """;

    public required string Scenario { get; init; }

    public int Concurrency { get; init; } = 64;

    public bool ConcurrencyGiven { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public double? Rate { get; init; }

    public int Payload { get; init; } = 256;

    public int? Messages { get; init; }

    public bool GroupCommit { get; init; } = true;

    public bool Relay { get; init; } = true;

    public bool ClosedLoop { get; init; } = true;

    public int Rounds { get; init; } = 1;

    public int Workers { get; init; } = 1;

    public int WarmRelay { get; init; }

    public int Repeat { get; init; } = 1;

    public IReadOnlySet<string>? Only { get; init; }

    public bool Runs(string target) => Only is null || Only.Contains(target);

    public IReadOnlyDictionary<string, string> Describe()
    {
        var described = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture),
            ["duration"] = $"{Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
            ["warmup"] = $"{Warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
            ["payload"] = $"{Payload.ToString(CultureInfo.InvariantCulture)} B",
        };
        if (Rate is { } rate)
        {
            described["rate"] = $"{rate.ToString(CultureInfo.InvariantCulture)}/s";
        }

        if (Messages is { } messages)
        {
            described["messages"] = messages.ToString(CultureInfo.InvariantCulture);
        }

        if (Scenario is "accept" or "end-to-end")
        {
            described["group commit"] = GroupCommit ? "on" : "off";
        }

        if (Scenario == "accept")
        {
            described["relay"] = Relay ? "on" : "off";
        }

        if (Scenario is "relay" or "backlog" or "burst" && WarmRelay > 0)
        {
            described["warm relay"] = WarmRelay.ToString(CultureInfo.InvariantCulture);
        }

        if (Repeat > 1)
        {
            described["repeat"] = Repeat.ToString(CultureInfo.InvariantCulture);
        }

        if (Scenario == "end-to-end" && Workers > 1)
        {
            described["workers"] = Workers.ToString(CultureInfo.InvariantCulture);
        }

        if (Scenario == "end-to-end" && !ClosedLoop)
        {
            described["closed loop"] = "off";
        }

        return described;
    }

    public static bool TryParse(string[] args, out LoadSettings settings, out string error)
    {
        settings = null!;
        error = "";
        string[] scenarios = ["accept", "relay", "consume", "end-to-end", "limiter", "backlog", "burst"];
        if (args.Length == 0 || !scenarios.Contains(args[0]))
        {
            error = args.Length == 0 ? "no scenario given" : $"unknown scenario '{args[0]}'";
            return false;
        }

        var result = new LoadSettings { Scenario = args[0] };
        for (var i = 1; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            if (value is null)
            {
                error = $"{args[i]} needs a value";
                return false;
            }

            i++;
            switch (args[i - 1])
            {
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
                    result = result with { Concurrency = n, ConcurrencyGiven = true };
                    break;
                case "--duration" when TryParseTime(value, out var duration):
                    result = result with { Duration = duration };
                    break;
                case "--warmup" when TryParseTime(value, out var warmup):
                    result = result with { Warmup = warmup };
                    break;
                case "--rate" when double.TryParse(value, CultureInfo.InvariantCulture, out var rate) && rate > 0:
                    result = result with { Rate = rate };
                    break;
                case "--payload" when int.TryParse(value, CultureInfo.InvariantCulture, out var bytes) && bytes is >= 64 and <= 10_000:
                    result = result with { Payload = bytes };
                    break;
                case "--messages" when int.TryParse(value, CultureInfo.InvariantCulture, out var messages) && messages > 0:
                    result = result with { Messages = messages };
                    break;
                case "--group-commit" when value is "on" or "off":
                    result = result with { GroupCommit = value == "on" };
                    break;
                case "--relay" when value is "on" or "off":
                    result = result with { Relay = value == "on" };
                    break;
                case "--closed-loop" when value is "on" or "off":
                    result = result with { ClosedLoop = value == "on" };
                    break;
                case "--rounds" when int.TryParse(value, CultureInfo.InvariantCulture, out var rounds) && rounds is >= 1 and <= 10:
                    result = result with { Rounds = rounds };
                    break;
                case "--workers" when int.TryParse(value, CultureInfo.InvariantCulture, out var workers) && workers is >= 1 and <= 4:
                    result = result with { Workers = workers };
                    break;
                case "--warm-relay" when int.TryParse(value, CultureInfo.InvariantCulture, out var warm) && warm >= 0:
                    result = result with { WarmRelay = warm };
                    break;
                case "--repeat" when int.TryParse(value, CultureInfo.InvariantCulture, out var repeat) && repeat is >= 1 and <= 20:
                    result = result with { Repeat = repeat };
                    break;
                case "--only":
                    result = result with { Only = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal) };
                    break;
                default:
                    error = $"invalid option {args[i - 1]} {value}";
                    return false;
            }
        }

        if (!result.ClosedLoop && (result.Scenario != "end-to-end" || result.Rate is null))
        {
            error = "--closed-loop off is for end-to-end and needs --rate";
            return false;
        }

        settings = result;
        return true;
    }

    private static bool TryParseTime(string text, out TimeSpan value)
    {
        value = default;
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        if (!double.TryParse(number, CultureInfo.InvariantCulture, out var amount) || amount < 0)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * scale);
        return true;
    }
}

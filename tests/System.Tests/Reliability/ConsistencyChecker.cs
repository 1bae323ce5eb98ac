using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// The independent checker: after the faults, waits for a quiet system, then compares the client's record
/// (<see cref="Workload"/>), the gateway's status API and the payments provider's ledger. Lost: acknowledged
/// with a 202 but never terminal. Duplicated: more than one provider effect for one command. Unexpected: an
/// effect for a command the client never saw acknowledged (allowed only for commands whose answer the client
/// missed, and counted so it can be seen).
/// </summary>
public sealed class ConsistencyChecker(SystemFixture system, string token)
{
    private static readonly string[] TerminalStatuses = ["Succeeded", "Failed", "DeadLettered", "Expired", "Cancelled"];
    private readonly HashSet<string> _effectsBefore = new(StringComparer.Ordinal);

    /// <summary>Remembers the provider effects that exist before the scenario, so only the scenario's own count.</summary>
    public async Task BeginAsync()
    {
        foreach (var key in (await system.Providers.EffectsAsync("payments")).Keys)
        {
            _effectsBefore.Add(key);
        }
    }

    /// <summary>
    /// Waits (up to <paramref name="drainLimit"/>) until every acknowledged command is terminal, then checks.
    /// The summary is written to the test output and to <c>artifacts/reliability/&lt;scenario&gt;.txt</c>.
    /// </summary>
    public async Task<CheckerSummary> CheckAsync(string scenario, Workload workload, DateTimeOffset lastFaultEnded, TimeSpan drainLimit)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var acknowledged = workload.Submissions.Where(s => s.Id is not null).Select(s => s.Id!).Distinct(StringComparer.Ordinal).ToList();
        var ids = acknowledged.Select(Guid.Parse).ToArray();
        await SystemFixture.EventuallyAsync(
            async () => await system.CountAsync("SELECT count(*) FROM commands WHERE id = ANY(@ids) AND status = ANY(@terminal)",
                ("ids", ids), ("terminal", TerminalStatuses)) == ids.Length,
            drainLimit);
        var drained = DateTimeOffset.UtcNow - lastFaultEnded;

        // The verdict comes from the status API, one read per acknowledged command, as a client would see it.
        var statuses = new global::System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(acknowledged, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (id, cancellationToken) =>
            statuses[id] = await StatusAsync(id, cancellationToken) ?? "unreadable");
        var effects = (await system.Providers.EffectsAsync("payments"))
            .Where(e => !_effectsBefore.Contains(e.Key))
            .ToDictionary(e => e.Key, e => e.Value.Effects, StringComparer.Ordinal);
        var summary = Judge(scenario, workload.Submissions, statuses, effects, drained);
        var details = new List<string>();
        foreach (var id in summary.LostIds.Take(5))
        {
            details.Add(await system.DescribeCommandAsync(Guid.Parse(id)));
        }

        Report(summary, workload, details);
        return summary;
    }

    /// <summary>
    /// The verdict from the three records: what the client was told (<paramref name="submissions"/>), what
    /// the status API says (<paramref name="statuses"/>, by command id) and what the provider did
    /// (<paramref name="effects"/>: effects per command id, the scenario's own only).
    /// </summary>
    public static CheckerSummary Judge(
        string scenario,
        IReadOnlyCollection<Submission> submissions,
        IReadOnlyDictionary<string, string> statuses,
        IReadOnlyDictionary<string, int> effects,
        TimeSpan drained)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        ArgumentNullException.ThrowIfNull(statuses);
        ArgumentNullException.ThrowIfNull(effects);
        var acknowledged = submissions.Where(s => s.Id is not null).Select(s => s.Id!).ToHashSet(StringComparer.Ordinal);
        var read = acknowledged.ToDictionary(id => id, id => statuses.GetValueOrDefault(id, "unreadable"), StringComparer.Ordinal);
        var lost = read.Where(r => !TerminalStatuses.Contains(r.Value)).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        var duplicated = effects.Where(e => e.Value > 1).Select(e => e.Key).Order(StringComparer.Ordinal).ToList();
        return new CheckerSummary(
            scenario,
            submissions.Count,
            acknowledged.Count,
            submissions.Count(s => s.Id is null),
            lost.Count,
            duplicated.Count,
            effects.Keys.Count(key => !acknowledged.Contains(key)),
            read.Values.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            drained,
            lost,
            duplicated);
    }

    // The current status as a client reads it. A stale answer (served from the gateway's cache while it still
    // cannot read PostgreSQL, for instance until its breaker closes after an outage) or a 503 is not a verdict:
    // the client would read again, and so does the checker, for up to a minute.
    private async Task<string?> StatusAsync(string id, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        string? last = null;
        while (DateTime.UtcNow < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(system.GatewayUrl, $"api/commands/{id}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await system.Http.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                last = body.GetProperty("status").GetString();
                if (!(body.TryGetProperty("stale", out var stale) && stale.ValueKind == JsonValueKind.True))
                {
                    return last;
                }
            }

            await Task.Delay(250, cancellationToken);
        }

        return last is null ? null : last + " (stale)";
    }

    private static void Report(CheckerSummary summary, Workload workload, IReadOnlyList<string> details)
    {
        var answers = string.Join(", ", workload.Answers.OrderBy(a => a.Key).Select(a => $"{(a.Key == 0 ? "none" : a.Key.ToString(CultureInfo.InvariantCulture))}×{a.Value}"));
        var via = string.Join(", ", workload.Submissions.Where(s => s.Id is not null)
            .GroupBy(s => s.AcceptedVia ?? "unsaid").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}×{g.Count()}"));
        var text = $"{summary}\n  http answers        {answers}\n  accepted via        {via}\n"
            + string.Concat(details.Select(d => $"  lost: {d}\n"));
        TestContext.Current.TestOutputHelper?.WriteLine(text);
        var directory = Path.Combine(RepositoryPaths.Root, "artifacts", "reliability");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, summary.Scenario + ".txt"), text);
        Trace.WriteLine(text);
    }
}

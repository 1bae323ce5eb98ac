using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Messaging.Testing.Harness;

namespace Messaging.System.Tests.Reliability;

/// <summary>
/// The test client of the reliability scenarios: submits payments commands at a steady rate (an open
/// model: each command starts at its own time, whatever the previous ones are doing), retries what got no
/// durable answer (no response, 429, 5xx) with the same <c>Idempotency-Key</c> as a real client would,
/// and records every command's outcome for the <see cref="ConsistencyChecker"/>.
/// </summary>
public sealed class Workload(Func<HttpClient> gateways, string token, string tenant)
{
    private readonly ConcurrentBag<Submission> _submissions = [];
    private readonly ConcurrentDictionary<int, int> _answers = new();

    /// <summary>How long a client keeps retrying one command before it gives up (the command then counts as not acknowledged).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The tenant every command is submitted for.</summary>
    public string Tenant => tenant;

    /// <summary>Everything submitted so far.</summary>
    public IReadOnlyCollection<Submission> Submissions => _submissions;

    /// <summary>Every HTTP answer received, by status code (0: no answer), retries included.</summary>
    public IReadOnlyDictionary<int, int> Answers => _answers;

    /// <summary>A client for <paramref name="system"/>'s gateway, for <see cref="Workload"/>.</summary>
    public static HttpClient ClientFor(SystemFixture system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return new HttpClient { BaseAddress = system.GatewayUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>How long submitting <paramref name="count"/> commands at <paramref name="perSecond"/> takes.</summary>
    public static TimeSpan Runtime(int count, double perSecond) => TimeSpan.FromSeconds(count / perSecond);

    /// <summary>Submits <paramref name="count"/> commands at <paramref name="perSecond"/> and returns when every one has its final answer.</summary>
    public async Task RunAsync(int count, double perSecond, CancellationToken cancellationToken = default)
    {
        var interval = TimeSpan.FromSeconds(1 / perSecond);
        var clock = Stopwatch.StartNew();
        var running = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = interval * i;
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }

            running.Add(SubmitOneAsync(i, cancellationToken));
        }

        await Task.WhenAll(running);
    }

    private async Task SubmitOneAsync(int index, CancellationToken cancellationToken)
    {
        var key = $"{tenant}-{Guid.NewGuid():N}";
        var body = $$"""{"amount":{{(index % 500) + 1}},"currency":"EUR","customerId":"cus_{{index}}"}""";
        var giveUp = Stopwatch.StartNew();
        var tries = 0;
        var lastStatus = 0;
        var pause = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            tries++;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "api/commands/payments.charge")
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Add("Idempotency-Key", key);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                using var response = await gateways().SendAsync(request, timeout.Token);
                lastStatus = (int)response.StatusCode;
                _answers.AddOrUpdate(lastStatus, 1, (_, n) => n + 1);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                    var root = document.RootElement;
                    var via = root.TryGetProperty("acceptedVia", out var v) ? v.GetString() : null;
                    _submissions.Add(new Submission(key, root.GetProperty("id").GetString(), lastStatus, tries, via));
                    return;
                }

                if (lastStatus is not (429 or >= 500))
                {
                    // A refusal that no retry changes: recorded, never acknowledged.
                    _submissions.Add(new Submission(key, null, lastStatus, tries, null));
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // No answer (the gateway is down or too slow): the command may or may not be stored; the
                // same key makes the retry safe either way.
                lastStatus = 0;
                _answers.AddOrUpdate(0, 1, (_, n) => n + 1);
            }

            if (giveUp.Elapsed > GiveUpAfter)
            {
                _submissions.Add(new Submission(key, null, lastStatus, tries, null));
                return;
            }

            await Task.Delay(pause, cancellationToken);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 2000));
        }
    }
}

using System.Text.Json.Serialization;

namespace Messaging.FakeServices.Faults;

/// <summary>
/// The faults of one instance: the body of <c>PUT /control/instances/{instance}/faults</c>. Every
/// field is optional; an empty object clears nothing and injects nothing (use DELETE to clear).
/// Unknown fields are rejected so a typo cannot silently disable a test's fault.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record FaultSettings
{
    /// <summary>Answer every request with 503 <c>{"error":"service_unavailable"}</c>.</summary>
    public bool Outage { get; init; }

    /// <summary>Answer this share of requests (0 to 1) with 503.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Wait this long (0 to 600000 ms) before anything else happens.</summary>
    public int LatencyMs { get; init; }

    /// <summary>Answer 429 <c>{"error":"rate_limited"}</c> with <c>Retry-After: RetryAfterSeconds</c>.</summary>
    public bool TooManyRequests { get; init; }

    /// <summary>The <c>Retry-After</c> value of 429 answers (0 to 3600 seconds); default 1.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Abort the connection (TCP reset) instead of answering.</summary>
    public bool ResetConnections { get; init; }

    /// <summary>
    /// Let the request take effect first, then fail it: the outage, error-rate or reset fault (503 when
    /// none of them is set) replaces the real answer. Simulates "the provider did it but the answer was lost".
    /// </summary>
    public bool FailAfterEffect { get; init; }

    /// <summary>Apply these faults to <c>POST /oauth/token</c> too (by default only <c>/v1/*</c> calls are faulted).</summary>
    public bool IncludeTokenEndpoint { get; init; }

    /// <summary>Clear these faults automatically after this many seconds (1 to 86400); null keeps them until cleared.</summary>
    public int? UntilSeconds { get; init; }

    /// <summary>Validation errors by (camelCase) field name; empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (double.IsNaN(ErrorRate) || ErrorRate is < 0 or > 1)
        {
            errors["errorRate"] = ["errorRate must be between 0 and 1."];
        }

        if (LatencyMs is < 0 or > 600_000)
        {
            errors["latencyMs"] = ["latencyMs must be between 0 and 600000."];
        }

        if (RetryAfterSeconds is < 0 or > 3600)
        {
            errors["retryAfterSeconds"] = ["retryAfterSeconds must be between 0 and 3600."];
        }

        if (UntilSeconds is < 1 or > 86_400)
        {
            errors["untilSeconds"] = ["untilSeconds must be between 1 and 86400, or null."];
        }

        return errors;
    }
}

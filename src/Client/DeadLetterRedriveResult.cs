using System.Text.Json;
using System.Text.Json.Serialization;

namespace Messaging.Client;

/// <summary>What a redrive did.</summary>
public sealed record DeadLetterRedriveResult
{
    /// <summary>Dead letters put back on the path (each at most once).</summary>
    public int Redriven { get; init; }

    /// <summary>Matching dead letters that cannot be redriven (unreadable: there is no command to run again).</summary>
    public int Skipped { get; init; }

    /// <summary>Anything else the gateway answered.</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement>? Extra { get; init; }
}


namespace Messaging.System.Tests.Reliability;

/// <summary>What the test client did for one command: its idempotency key and the answer it ended with.</summary>
/// <param name="Key">The client's idempotency key (unique per command).</param>
/// <param name="Id">The command id of the 202, or null when the command was never acknowledged.</param>
/// <param name="LastStatus">The HTTP status of the last answer (0: no answer at all).</param>
/// <param name="Tries">How many times the client sent it (retries reuse the key).</param>
/// <param name="AcceptedVia">Which durable path the gateway says accepted it, when it says.</param>
public sealed record Submission(string Key, string? Id, int LastStatus, int Tries, string? AcceptedVia);

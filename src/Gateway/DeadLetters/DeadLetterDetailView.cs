using Messaging.Contracts;
using Messaging.Store.DeadLetters;

namespace Messaging.Gateway.DeadLetters;

/// <summary>
/// The body of <c>GET /api/monitoring/dead-letters/{id}</c>: the list's fields, the body as received, and the headers
/// that are safe to show (<see cref="SafeHeaders"/>); the others are only counted in <see cref="HiddenHeaders"/>.
/// </summary>
internal sealed record DeadLetterDetailView(
    long Id,
    Guid? CommandId,
    string? Tenant,
    string? Type,
    int Attempts,
    DateTimeOffset FirstFailureAt,
    DateTimeOffset LastFailureAt,
    string? ExceptionType,
    string Reason,
    string Source,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RedrivenAt,
    string? RedrivenBy,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    int HiddenHeaders)
{
    /// <summary>
    /// The headers shown, an allow-list: what the command is and where it went (tenant, client, type, deadline, attempt,
    /// how it was accepted, its first failure, its trace, the queue it was drained from and the body's encoding) and the
    /// broker's dead-lettering reason. Never the message signature, the idempotency key and hash, trace state, or fault
    /// headers that carry exception text or stack traces; nor any header this list does not know.
    /// </summary>
    public static IReadOnlySet<string> SafeHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        MessageHeaders.Tenant, MessageHeaders.Client, MessageHeaders.CommandType, MessageHeaders.Deadline, MessageHeaders.Attempt,
        MessageHeaders.AcceptedVia, MessageHeaders.FirstFailure, MessageHeaders.TraceParent,
        "Messaging-Dead-Letter-Queue", "Messaging-Body-Encoding",
        "x-first-death-reason", "x-first-death-queue", "x-delivery-count", "MT-Fault-ExceptionType",
    };

    /// <summary>The view of <paramref name="detail"/>, its headers narrowed to <see cref="SafeHeaders"/>.</summary>
    public static DeadLetterDetailView From(DeadLetterDetail detail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        var letter = detail.Letter;
        var shown = detail.Headers.Where(h => SafeHeaders.Contains(h.Key)).OrderBy(h => h.Key, StringComparer.Ordinal)
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        return new DeadLetterDetailView(letter.Id, letter.CommandId, letter.Tenant, letter.Type, letter.Attempts, letter.FirstFailureAt,
            letter.LastFailureAt, letter.ExceptionType, letter.Reason, letter.Source, letter.CreatedAt, letter.RedrivenAt, letter.RedrivenBy,
            detail.Body, shown, detail.Headers.Count - shown.Count);
    }
}

using System.Text.Json;

namespace Messaging.Client;

/// <summary>The gateway's answer to a batch: every command of it is stored (a batch is stored all or none).</summary>
public sealed record CommandBatchAccepted
{
    /// <summary>
    /// One entry per item, in the order they were sent. <see cref="CommandAccepted.Replayed"/> marks an item whose key had
    /// been used for the same request before (its first answer again); <see cref="CommandAccepted.IdempotencyKey"/> is the
    /// item's key (the caller's, or the one the client made).
    /// </summary>
    public required IReadOnlyList<CommandAccepted> Items { get; init; }
}

/// <summary>The body of <c>POST /api/commands/batch</c>.</summary>
internal sealed record CommandBatchRequest(IReadOnlyList<CommandBatchRequestItem> Items);

/// <summary>One item of <see cref="CommandBatchRequest"/>: what a single send says in its path, headers and body.</summary>
internal sealed record CommandBatchRequestItem(string Type, JsonElement Body, string IdempotencyKey, string? NotBefore, int? Timeout, string? CallbackUrl);

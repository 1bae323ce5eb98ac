namespace Messaging.Client;

/// <summary>Filters of <see cref="MessagingClient.ListAsync"/>; every one optional.</summary>
public sealed record CommandListQuery
{
    /// <summary>Only commands in this status.</summary>
    public CommandStatus? Status { get; init; }

    /// <summary>Only commands of this type.</summary>
    public string? Type { get; init; }

    /// <summary>Page size, 1–100 (the gateway's default is 20).</summary>
    public int? Limit { get; init; }

    /// <summary>The <see cref="CommandPage.NextCursor"/> of the previous page.</summary>
    public string? Cursor { get; init; }
}

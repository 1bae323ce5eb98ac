namespace Messaging.Client;

/// <summary>Which audit records <see cref="MessagingClient.GetAuditAsync"/> reads; every filter optional.</summary>
public sealed record AuditQuery
{
    /// <summary>
    /// Only the records that touched this tenant. An operator may name any tenant (none: every record, the fleet's
    /// included); a tenant admin only its own (none: its own), another one is refused with 403.
    /// </summary>
    public string? Tenant { get; init; }

    /// <summary>Only records older than this one: the <see cref="AuditRecordInfo.Id"/> of the last record of the previous page.</summary>
    public long? Before { get; init; }

    /// <summary>At most this many, 1–500 (the gateway's default is 100).</summary>
    public int? Limit { get; init; }
}

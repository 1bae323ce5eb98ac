namespace Messaging.Store.Audit;

/// <summary>Who acted: a client and its tenant (from the access token), or the local <c>clients</c> tool.</summary>
/// <param name="ClientId">The acting client's id, or <c>local:&lt;user&gt;</c> for the gateway's own command line.</param>
/// <param name="Tenant">The acting client's tenant; <see langword="null"/> for the local tool.</param>
public sealed record AuditActor(string ClientId, string? Tenant)
{
    /// <summary>The gateway's command line run by <paramref name="user"/> on the gateway's machine.</summary>
    public static AuditActor Local(string user) => new("local:" + user, null);
}

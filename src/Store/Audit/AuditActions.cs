namespace Messaging.Store.Audit;

/// <summary>The audited actions and their outcomes, as stored in <c>audit.action</c> and <c>audit.outcome</c>.</summary>
public static class AuditActions
{
    /// <summary>A breaker held open across the fleet.</summary>
    public const string BreakerIsolate = "breaker.isolate";

    /// <summary>A breaker closed across the fleet.</summary>
    public const string BreakerReset = "breaker.reset";

    /// <summary>A client added (its scopes in the detail).</summary>
    public const string ClientAdd = "client.add";

    /// <summary>A client revoked.</summary>
    public const string ClientRevoke = "client.revoke";

    /// <summary>A client's callback signing secret replaced (the previous one's end of grace in the detail).</summary>
    public const string ClientRotateCallbackSecret = "client.rotate-callback-secret";

    /// <summary>One dead-lettered command sent back through the outbox.</summary>
    public const string CommandRedrive = "command.redrive";

    /// <summary>Dead letters matching a filter sent back through the outbox.</summary>
    public const string DeadLettersRedrive = "dead-letters.redrive";

    /// <summary>The action was carried out.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>The action was refused (a conflict: the breaker cannot be isolated, the provider is down, nothing to redrive).</summary>
    public const string Refused = "refused";
}

namespace Messaging.ServiceDefaults.HealthChecks;

/// <summary>Tags that place a health check on the default endpoints.</summary>
public static class HealthCheckTags
{
    /// <summary>Reported by <c>/health/live</c>: only checks that fail when the process itself is broken.</summary>
    public const string Live = "live";

    /// <summary>Reported by <c>/health/ready</c>: one check per dependency (MassTransit tags its bus check with it too).</summary>
    public const string Ready = "ready";

    /// <summary>
    /// The check's description is fixed, safe text and may be shown in health responses. Descriptions of
    /// checks without this tag (for example third-party checks, whose text may carry exception messages or
    /// host names) are left out of responses.
    /// </summary>
    public const string PublicDescription = "public-description";
}

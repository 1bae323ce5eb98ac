namespace Messaging.Store.Persistence;

/// <summary>
/// A migration script already applied to the database differs from the one this build carries: its SHA-256 is not the
/// one recorded when it was applied. The host stops at start rather than run on a schema it cannot vouch for.
/// </summary>
public sealed class SchemaChecksumMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception for one script.</summary>
    /// <param name="script">The script's file name, e.g. <c>0003_outbox_retention.sql</c>.</param>
    /// <param name="recordedChecksum">The SHA-256 (hex) recorded in <c>schema_versions</c> when the script was applied.</param>
    /// <param name="checksum">The SHA-256 (hex) of the script in this build.</param>
    public SchemaChecksumMismatchException(string script, string recordedChecksum, string checksum)
        : base($"Schema migration {script} was changed after it was applied to this database: its SHA-256 is {checksum}, "
            + $"but {recordedChecksum} was recorded when it was applied. An applied migration must not change: restore {script} "
            + "as it was and put the change in a new migration (docs/operations.md, \"Schema migrations\").")
    {
        Script = script;
        RecordedChecksum = recordedChecksum;
        Checksum = checksum;
    }

    /// <summary>The script's file name, e.g. <c>0003_outbox_retention.sql</c>.</summary>
    public string Script { get; }

    /// <summary>The SHA-256 (lowercase hex) recorded when the script was applied.</summary>
    public string RecordedChecksum { get; }

    /// <summary>The SHA-256 (lowercase hex) of the script in this build.</summary>
    public string Checksum { get; }
}

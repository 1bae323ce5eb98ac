using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.Persistence;

/// <summary>
/// Settings of <see cref="StatementBatcher"/> (section <c>Postgres:Batching</c>): how a worker's concurrent status writes
/// share round trips and commits.
/// </summary>
public sealed class StatementBatchingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Postgres:Batching";

    /// <summary>
    /// Whether statements waiting at the same moment go to PostgreSQL together, as one batch in one implicit transaction
    /// (one round trip, one commit). Off, each runs alone, as before issue 23.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The most statements in one batch.</summary>
    /// <value>The default value is 32.</value>
    [Range(1, 1000)]
    public int MaxStatements { get; set; } = 32;

    /// <summary>
    /// Batches in flight at once, each on its own connection. More than one keeps a commit's flush from holding every
    /// other statement back; statements that arrive meanwhile wait for the next free one and go together.
    /// </summary>
    /// <value>The default value is 2.</value>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 2;
}

using System.ComponentModel.DataAnnotations;

namespace Messaging.Gateway.Commands;

/// <summary>Settings of the durable accept's group commit (section <c>Commands:GroupCommit</c>).</summary>
public sealed class GroupCommitOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Commands:GroupCommit";

    /// <summary>
    /// Whether concurrent submissions share one transaction. Off, every submission commits alone (one WAL flush
    /// per accepted command). Read per submission, so it can be switched without a restart.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The most submissions written in one transaction.</summary>
    /// <value>The default value is 64.</value>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>
    /// How many transactions may be in flight at once (each on its own connection). While they commit, new
    /// submissions queue up and form the next batches. Read at start. One writer makes the largest batches (every
    /// submission that arrives during a commit joins the next one), which costs PostgreSQL the least per accept
    /// (docs/benchmarks.md, "Group commit writers"); more help when a commit takes long compared with the rate,
    /// such as a database far away, where one writer's batches of <see cref="MaxBatchSize"/> would not keep up.
    /// </summary>
    /// <value>The default value is 1.</value>
    [Range(1, 32)]
    public int Writers { get; set; } = 1;
}

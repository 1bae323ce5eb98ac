namespace Messaging.System.Tests.Reliability;

/// <summary>The checker's verdict itself: it must see a loss, a duplicate and an unexpected effect when there is one.</summary>
public sealed class ConsistencyCheckerTests
{
    private static readonly Submission[] Submissions =
    [
        new("k1", "a", 202, 1, "outbox"),
        new("k2", "b", 202, 3, "outbox"),
        new("k3", "c", 202, 1, "outbox"),
        new("k4", null, 503, 9, null),
    ];

    [Fact]
    public void AllTerminal_OneEffectEach_IsClean()
    {
        var summary = ConsistencyChecker.Judge("clean", Submissions,
            new Dictionary<string, string> { ["a"] = "Succeeded", ["b"] = "Succeeded", ["c"] = "Failed" },
            new Dictionary<string, int> { ["a"] = 1, ["b"] = 1 },
            TimeSpan.FromSeconds(3));

        Assert.Equal((4, 3, 1, 0, 0, 0), (summary.Submitted, summary.Acknowledged, summary.NotAcknowledged, summary.Lost, summary.DuplicatedEffects, summary.Unexpected));
        Assert.Equal(2, summary.Terminal["Succeeded"]);
    }

    [Fact]
    public void AnAcknowledgedCommandStuckOrMissing_IsLost()
    {
        var summary = ConsistencyChecker.Judge("lost", Submissions,
            new Dictionary<string, string> { ["a"] = "Succeeded", ["b"] = "Processing" },
            new Dictionary<string, int> { ["a"] = 1 },
            TimeSpan.Zero);

        Assert.Equal(2, summary.Lost);
        Assert.Equal(["b", "c"], summary.LostIds);
        Assert.Contains("lost                2", summary.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TwoEffectsForOneCommand_AndAnEffectForAnUnknownCommand_AreCounted()
    {
        var summary = ConsistencyChecker.Judge("duplicates", Submissions,
            new Dictionary<string, string> { ["a"] = "Succeeded", ["b"] = "Succeeded", ["c"] = "Succeeded" },
            new Dictionary<string, int> { ["a"] = 2, ["b"] = 1, ["c"] = 1, ["zz"] = 1 },
            TimeSpan.Zero);

        Assert.Equal(1, summary.DuplicatedEffects);
        Assert.Equal(["a"], summary.DuplicatedIds);
        Assert.Equal(1, summary.Unexpected);
    }
}

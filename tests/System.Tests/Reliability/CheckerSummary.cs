using System.Globalization;
using System.Text;

namespace Messaging.System.Tests.Reliability;

/// <summary>The checker's verdict on one scenario, Jepsen-style: what was promised, and what was kept.</summary>
public sealed record CheckerSummary(
    string Scenario,
    int Submitted,
    int Acknowledged,
    int NotAcknowledged,
    int Lost,
    int DuplicatedEffects,
    int Unexpected,
    IReadOnlyDictionary<string, int> Terminal,
    TimeSpan DrainAfterLastFault,
    IReadOnlyList<string> LostIds,
    IReadOnlyList<string> DuplicatedIds)
{
    /// <summary>Fails the test unless every acknowledged command ended, once, and every command was acknowledged.</summary>
    public void AssertKept()
    {
        Assert.True(Acknowledged > 0, $"nothing was acknowledged:\n{this}");
        Assert.True(Lost == 0, $"lost commands:\n{this}");
        Assert.True(DuplicatedEffects == 0, $"duplicated effects:\n{this}");
        Assert.True(NotAcknowledged == 0, $"commands the client could never get accepted:\n{this}");
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"scenario: {Scenario}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  submitted           {Submitted}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  acknowledged (202)  {Acknowledged}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  not acknowledged    {NotAcknowledged}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  terminal            {string.Join(", ", Terminal.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  lost                {Lost}{(LostIds.Count > 0 ? "  e.g. " + string.Join(' ', LostIds.Take(5)) : "")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  duplicated effects  {DuplicatedEffects}{(DuplicatedIds.Count > 0 ? "  e.g. " + string.Join(' ', DuplicatedIds.Take(5)) : "")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  unexpected effects  {Unexpected}");
        text.Append(CultureInfo.InvariantCulture, $"  drain after last fault  {DrainAfterLastFault.TotalSeconds:F1} s");
        return text.ToString();
    }
}

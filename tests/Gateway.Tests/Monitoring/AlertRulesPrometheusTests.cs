using System.Globalization;
using System.Text.RegularExpressions;
using Messaging.Gateway.Monitoring;
using Messaging.Testing.Harness;
using YamlDotNet.RepresentationModel;

namespace Messaging.Gateway.Tests.Monitoring;

/// <summary>
/// deploy/prometheus/alerts.yml and the gateway's rules have one source for their thresholds: every rule in the file
/// (alert, expr, for, labels) equals <see cref="AlertRules.Prometheus"/> with the default <see cref="AlertsOptions"/>,
/// value by value, so a threshold changed on one side only fails here.
/// </summary>
public sealed partial class AlertRulesPrometheusTests
{
    private static readonly string PrometheusFolder = Path.Combine(RepositoryPaths.Root, "deploy", "prometheus");

    [Fact]
    public void AlertsYml_HoldsExactlyTheRulesOfAlertRules_WithTheDefaultThresholds()
    {
        var expected = AlertRules.Prometheus(new AlertsOptions());
        var actual = ReadRules();

        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var (want, got) = (expected[i], actual[i]);
            var where = $"rule {i + 1} of alerts.yml ({got.Alert})";
            Assert.True(want.Alert == got.Alert, $"{where}: alert is {got.Alert}, AlertRules says {want.Alert}");
            Assert.True(Normalize(want.Expr) == Normalize(got.Expr), $"{where}: expr is\n  {Normalize(got.Expr)}\nAlertRules says\n  {Normalize(want.Expr)}");
            Assert.True(want.For == got.For, $"{where}: for is {got.For}, AlertRules says {want.For} ({AlertRules.PromDuration(want.For)})");
            Assert.True(got.Labels.Count == 1 && got.Labels.GetValueOrDefault("severity") == want.Severity,
                $"{where}: labels are {{{string.Join(", ", got.Labels.Select(l => l.Key + ": " + l.Value))}}}, AlertRules says {{severity: {want.Severity}}}");
        }
    }

    [Fact]
    public void AlertRulesPrometheus_CarriesEveryThreshold_SoAChangedOptionChangesTheExpectedFile()
    {
        var defaults = AlertRules.Prometheus(new AlertsOptions());
        AlertsOptions[] changed =
        [
            new() { BreakerOpenFor = TimeSpan.FromMinutes(2) },
            new() { DeadLetterWindow = TimeSpan.FromMinutes(15) },
            new() { DeadLetterGrowth = 5 },
            new() { OutboxOldestPendingAge = TimeSpan.FromMinutes(3) },
            new() { QueueWithoutConsumersFor = TimeSpan.FromMinutes(5) },
            new() { RejectionSurgePerMinute = 500 },
            new() { UnhealthyFor = TimeSpan.FromMinutes(1) },
            new() { RetryBudgetWindow = TimeSpan.FromMinutes(10) },
        ];

        Assert.All(changed, options => Assert.NotEqual(defaults, AlertRules.Prometheus(options)));
    }

    [Fact]
    public void EveryRule_HasAPromtoolUnitTest()
    {
        var tests = File.ReadAllText(Path.Combine(PrometheusFolder, "alerts.test.yml"));

        Assert.All(AlertRules.Prometheus(new AlertsOptions()).Select(r => r.Alert).Distinct(),
            alert => Assert.Contains("alertname: " + alert, tests, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1m", 60_000)]
    [InlineData("30s", 30_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1m30s", 90_000)]
    [InlineData("500ms", 500)]
    public void PromDuration_WritesWhatPrometheusParses(string text, long milliseconds)
    {
        Assert.Equal(text, AlertRules.PromDuration(TimeSpan.FromMilliseconds(milliseconds)));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ParseDuration(text));
    }

    private static List<(string Alert, string Expr, TimeSpan For, Dictionary<string, string> Labels)> ReadRules()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(PrometheusFolder, "alerts.yml")))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return ((YamlSequenceNode)root["groups"]).Children.Cast<YamlMappingNode>()
            .SelectMany(group => ((YamlSequenceNode)group["rules"]).Children.Cast<YamlMappingNode>())
            .Select(rule => (
                Alert: Scalar(rule, "alert")!,
                Expr: Scalar(rule, "expr")!,
                For: Scalar(rule, "for") is { } duration ? ParseDuration(duration) : TimeSpan.Zero,
                Labels: rule.Children.TryGetValue(new YamlScalarNode("labels"), out var labels)
                    ? ((YamlMappingNode)labels).Children.ToDictionary(l => ((YamlScalarNode)l.Key).Value!, l => ((YamlScalarNode)l.Value).Value!, StringComparer.Ordinal)
                    : new Dictionary<string, string>(StringComparer.Ordinal)))
            .ToList();
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static string Normalize(string expr) => Whitespace().Replace(expr, " ").Trim();

    // Prometheus durations: units in decreasing order, each at most once (1h30m, 90s, 500ms).
    private static TimeSpan ParseDuration(string text)
    {
        var match = Duration().Match(text);
        Assert.True(match.Success, $"'{text}' is not a Prometheus duration");
        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = Unit().Match(part.Value);
            var count = long.Parse(unit.Groups[1].Value, CultureInfo.InvariantCulture);
            total += unit.Groups[2].Value switch
            {
                "d" => TimeSpan.FromDays(count),
                "h" => TimeSpan.FromHours(count),
                "m" => TimeSpan.FromMinutes(count),
                "s" => TimeSpan.FromSeconds(count),
                _ => TimeSpan.FromMilliseconds(count),
            };
        }

        return total;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(?<part>[0-9]+(?:ms|d|h|m|s))+$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^([0-9]+)(ms|d|h|m|s)$")]
    private static partial Regex Unit();
}

using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Messaging.ServiceDefaults.Tests.Telemetry;

/// <summary>
/// deploy/prometheus/alerts.yml is valid (promtool check rules) and behaves as its unit tests say (promtool test rules).
/// That it holds the gateway's rules with the same thresholds, each with a unit test, is checked in Gateway.Tests
/// (AlertRulesPrometheusTests), which can see AlertRules.
/// </summary>
public sealed partial class PrometheusRulesTests
{
    private static readonly string Deploy = Path.Combine(RepositoryRoot(), "deploy");

    [Fact]
    public async Task AlertRules_PassPromtoolCheck()
    {
        var (exitCode, output) = await PromtoolAsync("check", "rules", "alerts.yml");

        Assert.True(exitCode == 0, "promtool check rules failed:\n" + output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlertRules_PassTheirPromtoolUnitTests()
    {
        var (exitCode, output) = await PromtoolAsync("test", "rules", "alerts.test.yml");

        Assert.True(exitCode == 0, "promtool test rules failed:\n" + output);
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void GrafanaDashboard_IsValidJson_AndQueriesOnlyExportedMetricFamilies()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "grafana", "messaging.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();

        Assert.NotEmpty(expressions);
        var metrics = expressions.SelectMany(e => MetricName().Matches(Grouping().Replace(e, "")).Select(m => m.Value)).Distinct().ToList();
        Assert.All(metrics, metric => Assert.Matches("^(messaging_|resilience_polly_|http_server_)", metric));
        Assert.Contains("messaging_commands_total", metrics);
        Assert.Contains("messaging_queue_messages", metrics);
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("promtool")
        {
            WorkingDirectory = Path.Combine(Deploy, "prometheus"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                "promtool is not installed (Debian's prometheus package provides it). Install it with `scripts/services tools` (scripts/test does).", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return (process.ExitCode, await output + await error);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Messaging.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Messaging.sln not found above " + AppContext.BaseDirectory);
    }

    // Metric names in PromQL: identifiers followed by '{', '[' or ')' (functions are followed by '(').
    [GeneratedRegex(@"\b[a-z_][a-z0-9_]*(?=\s*[\{\[\)])")]
    private static partial Regex MetricName();

    // Grouping clauses and label matchers' values are not metric names.
    [GeneratedRegex(@"\b(by|without|on|ignoring)\s*\([^)]*\)|""[^""]*""")]
    private static partial Regex Grouping();
}

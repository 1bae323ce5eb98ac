namespace Messaging.Gateway.Monitoring;

/// <summary>
/// One rule as deploy/prometheus/alerts.yml writes it for Prometheus: the built-in rules' thresholds have their source
/// in <see cref="AlertsOptions"/> and reach the file through <see cref="AlertRules.Prometheus"/>, which a test compares
/// with the file value by value.
/// </summary>
/// <param name="Alert">The alert's name.</param>
/// <param name="Severity">The <c>severity</c> label: <c>critical</c> or <c>warning</c>.</param>
/// <param name="Expr">The PromQL expression, thresholds included.</param>
/// <param name="For">The rule's <c>for</c> (zero: no <c>for</c>).</param>
internal sealed record PrometheusAlertRule(string Alert, string Severity, string Expr, TimeSpan For);

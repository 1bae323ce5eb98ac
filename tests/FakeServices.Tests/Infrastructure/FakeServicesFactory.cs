using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Messaging.FakeServices.Tests.Infrastructure;

/// <summary>
/// The fake providers in memory (TestServer) with a <see cref="FakeTimeProvider"/>. Without sockets the
/// instance is chosen by the port of the client's base address (the Host header).
/// </summary>
/// <param name="settings">Configuration settings (key, value), for example <c>("FakeServices:Crm:Auth", "ApiKey")</c>.</param>
internal sealed class FakeServicesFactory(params (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

    public HttpClient PaymentsPrimary() => ClientFor(FakeServicesDefaults.PaymentsPrimaryUrl);

    public HttpClient PaymentsSecondary() => ClientFor(FakeServicesDefaults.PaymentsSecondaryUrl);

    public HttpClient Notifications() => ClientFor(FakeServicesDefaults.NotificationsUrl);

    public HttpClient Shipping() => ClientFor(FakeServicesDefaults.ShippingUrl);

    public HttpClient Crm() => ClientFor(FakeServicesDefaults.CrmUrl);

    /// <summary>The control API answers on every port; this one uses the notifications port.</summary>
    public HttpClient Control() => ClientFor(FakeServicesDefaults.NotificationsUrl);

    public HttpClient ClientFor(string baseAddress) =>
        CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(baseAddress), AllowAutoRedirect = false });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Time));
    }
}

using Messaging.Samples.CallbackReceiver;

// Receives the gateway's completion callbacks (docs/api.md, "Completion callbacks"). Run it with the client's callback secret:
//   dotnet run --project samples/CallbackReceiver --urls http://127.0.0.1:5099 -- --Callbacks:Secrets:0=whsec_…
// and submit commands with `Callback-Url: http://127.0.0.1:5099/callbacks` (its origin on the tenant's allow-list).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOptions<CallbackReceiverOptions>()
    .Bind(builder.Configuration.GetSection("Callbacks"))
    .Validate(options => options.Secrets.Count > 0, "Callbacks:Secrets:0 (the client's callback secret, whsec_…) is required.")
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ReceivedEvents>();

var app = builder.Build();
app.MapCallbacks();
app.Run();

/// <summary>The receiver's entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;

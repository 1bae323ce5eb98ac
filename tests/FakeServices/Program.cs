using Messaging.FakeServices;

var builder = WebApplication.CreateBuilder(args);
builder.AddFakeServices();

var app = builder.Build();
app.MapFakeServices();
app.Run();

/// <summary>The fake providers' entry point (public for WebApplicationFactory in tests).</summary>
public partial class Program;

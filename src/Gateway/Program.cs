using Messaging.Resilience.Persistence;

var builder = WebApplication.CreateBuilder(args);
builder.AddMessagingPostgres();

var app = builder.Build();
app.Run();

using ChatGateway.Gateway;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.CannedReplies;
using ChatGateway.Gateway.Contacts;
using ChatGateway.Gateway.FollowUps.Callbacks;
using ChatGateway.Gateway.Orders;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.ReplyGuard;
using ChatGateway.Gateway.Reports;
using ChatGateway.Gateway.Telemetry;
using ChatGateway.Gateway.Web;
using ChatGateway.Gateway.Webhooks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

if (args is ["hash-password", var password])
{
    Console.WriteLine(PasswordHasher.Hash(password));
    return;
}

// appsettings*.json sit next to the binary; plugins.json and data/ are found from the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddChatGateway(builder.Configuration);
builder.Services.AddGatewayErrorHandling();
builder.AddGatewayTelemetry();

// Kestrel runs a request's code on the thread-pool thread that completed its read, instead of handing
// it to a second pool thread and the response to a third. Only Kestrel's own hand-offs go: the socket
// engine still completes reads on pool threads (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS is not
// set), so code that blocks holds a pool thread as before, never the thread that polls the sockets.
builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = builder.Configuration.GetValue("Server:InlineScheduling", true));

var app = builder.Build();

if (args is ["create-agent", .. var options])
{
    Environment.ExitCode = await CreateAgentCommand.RunAsync(app.Services, options, Console.In, Console.Out, CancellationToken.None);
    return;
}

// Plugins are loaded here so a bad plugins.json stops start-up with every problem listed.
var channels = app.Services.GetRequiredService<ChannelRegistry>();
channels.Load();

app.UseForwardedHeaders();
// Errors answer { error } with no internals, and every answer carries its security headers.
app.UseGatewayErrorHandling();
app.UseGatewaySecurityHeaders(app.Environment);
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
app.UseRouting();
app.UseAgentAuth();

app.MapOpenApi();
app.MapGatewayHealth();
app.MapGatewayMetrics();
app.MapGatewayApi();
app.MapSupervisorApi();
app.MapReportsApi();
app.MapWebhooksApi();
app.MapDeskSettingsApi();
app.MapContactsApi();
app.MapOrdersApi();
app.MapCallbacksApi();
app.MapCannedRepliesApi();
app.MapReplyGuardApi();
if (app.Environment.IsDevelopment())
{
    app.MapDemoShop();
}

app.MapAgentAdminApi();
app.MapHub<AgentHub>("/hubs/agent");
app.MapChannels();

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    foreach (var address in addresses)
    {
        Console.WriteLine($"ChatGateway is running. Demo shop: {address}/   Agent desk: {address}/desk/");
    }
});

app.Run();

/// <summary>The gateway's entry point; public so that tests can host it.</summary>
public partial class Program;

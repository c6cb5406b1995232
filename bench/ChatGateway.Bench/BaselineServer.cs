using System.Net.WebSockets;
using System.Text;
using Npgsql;
using StackExchange.Redis;

namespace ChatGateway.Bench;

/// <summary>
/// The raw limit the gateway is measured against, on the same machine in the same run: bare ASP.NET
/// Core endpoints that bind the same bodies and do one awaited Redis write, and a minimal live
/// pipeline (HTTP POST -> Redis PUBLISH -> subscriber -> one WebSocket); for the gateway on PostgreSQL, the
/// same SMS endpoint doing one awaited INSERT instead (<see cref="RunPostgreSqlAsync"/>).
/// </summary>
internal static class BaselineServer
{
    public sealed record WidgetBody(string? ClientMessageId, string? Text);

    public static async Task RunAsync(string redisConnectionString)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var redis = await ConnectionMultiplexer.ConnectAsync(redisConnectionString);
        var db = redis.GetDatabase();
        var app = builder.Build();
        app.UseWebSockets();

        // Same form as Twilio's webhook: bind it, one awaited write, an empty TwiML answer like the gateway's.
        app.MapPost("/sms", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            await db.StringSetAsync("b:sms:" + form["MessageSid"], form["Body"].ToString());
            return Results.Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml; charset=utf-8");
        });
        app.MapPost("/widget", async (WidgetBody body) =>
        {
            await db.StringSetAsync("b:widget:" + body.ClientMessageId, body.Text);
            return Results.Accepted();
        });

        // The live pipeline: a POST is published; the subscriber pushes it to the connected WebSocket.
        WebSocket? socket = null;
        var sendLock = new SemaphoreSlim(1, 1);
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("b:live"), async (_, value) =>
        {
            if (socket is not { State: WebSocketState.Open } ws)
            {
                return;
            }

            await sendLock.WaitAsync();
            try
            {
                await ws.SendAsync(Encoding.UTF8.GetBytes(value.ToString()), WebSocketMessageType.Text, true, CancellationToken.None);
            }
            finally
            {
                sendLock.Release();
            }
        });
        app.MapPost("/live", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal("b:live"), form["Body"].ToString());
            return Results.Ok();
        });
        app.Map("/ws", async (HttpContext http) =>
        {
            socket = await http.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[256];
            while (socket.State == WebSocketState.Open && (await socket.ReceiveAsync(buffer, http.RequestAborted)).MessageType != WebSocketMessageType.Close)
            {
            }

            if (socket.State == WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
        });

        await app.StartAsync();
        Console.WriteLine("Baseline listening on " + app.Urls.First());
        await app.WaitForShutdownAsync();
    }

    /// <summary>
    /// The SMS webhook endpoint of <see cref="RunAsync"/> with one awaited INSERT per request into a table of its
    /// own (the provider id its primary key, as the gateway's is unique), on a connection from Npgsql's default
    /// pool. Each INSERT is its own transaction, and its commit waits for the WAL flush (the server runs with
    /// <c>synchronous_commit=on</c>): the raw cost of storing a message durably on PostgreSQL, one at a time.
    /// </summary>
    public static async Task RunPostgreSqlAsync(string connectionString)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var store = NpgsqlDataSource.Create(connectionString);
        await using (var create = store.CreateCommand("CREATE TABLE IF NOT EXISTS sms (sid text PRIMARY KEY, sender text NOT NULL, body text NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var app = builder.Build();
        app.MapPost("/sms", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            await using var insert = store.CreateCommand("INSERT INTO sms (sid, sender, body) VALUES ($1, $2, $3)");
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = form["MessageSid"].ToString() });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = form["From"].ToString() });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = form["Body"].ToString() });
            await insert.ExecuteNonQueryAsync();
            return Results.Text("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", "text/xml; charset=utf-8");
        });

        await app.StartAsync();
        Console.WriteLine("Baseline listening on " + app.Urls.First());
        await app.WaitForShutdownAsync();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 4: widget visitors' live connections held open on one gateway process (on its embedded
/// defaults), the memory each one costs, and replies still reaching visitors while they are all open.
/// </summary>
internal static class ConnectionsScenario
{
    private const int Samples = 20;

    public static async Task RunAsync(BenchContext context, Report report)
    {
        var count = context.Options.Connections;
        Console.WriteLine($"Connections ({count:N0} widget visitors)");
        var gateway = await context.StartGatewayAsync(redis: null, durableStore: true, new Dictionary<string, string> { ["Agents__Seed__0__MaxConcurrent"] = "100" });
        var tokens = await IngestScenario.VisitorsAsync(gateway.BaseAddress, count);
        await Task.Delay(1000);
        var before = Machine.ResidentBytes(gateway.Pid);

        var sockets = new ClientWebSocket[count];
        var frames = new ConcurrentDictionary<int, ConcurrentQueue<string>>();
        var sources = Enumerable.Range(0, (count + PerSource - 1) / PerSource).Select(FromSource).ToArray();
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Origin", gateway.BaseAddress.GetLeftPart(UriPartial.Authority));
            await socket.ConnectAsync(new Uri($"ws://{gateway.BaseAddress.Authority}/channels/webchat/ws?token={Uri.EscapeDataString(tokens[i])}"), sources[i / PerSource], ct);
            sockets[i] = socket;
            _ = ReadAsync(socket, frames.GetOrAdd(i, _ => new ConcurrentQueue<string>()));
        });
        var opened = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(context.Options.Quick ? 2 : 5));
        GC.KeepAlive(sockets);
        var after = Machine.ResidentBytes(gateway.Pid);
        var open = sockets.Count(s => s.State == WebSocketState.Open);
        var perConnection = (after - before) / (double)count;

        var delivered = await RepliesReachVisitorsAsync(gateway.BaseAddress, tokens, frames);
        var stillOpen = sockets.Count(s => s.State == WebSocketState.Open);
        report.Note($"Connections: {open:N0} of {count:N0} opened in {opened.TotalSeconds:0.0} s; gateway memory {before / 1048576.0:0} MiB -> {after / 1048576.0:0} MiB, {perConnection / 1024:0.0} KiB per connection; replies to {delivered} of {Samples} sampled visitors arrived live; {stillOpen:N0} still open after.");
        report.Absolute("Widget connections held open on one process", $"{open:N0} ({perConnection / 1024:0.0} KiB each)", "-", $">= {count:N0}", open == count && stillOpen == count);
        report.Absolute("Replies delivered live while all are open", $"{delivered} of {Samples}", "-", $"{Samples} of {Samples}", delivered == Samples);

        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }

        await context.StopAsync(gateway);
    }

    /// <summary>
    /// Connections opened from one loopback address. A client address has about 28,000 ephemeral ports
    /// (Linux's default range) towards the gateway's one address and port, so more connections than that
    /// come from 127.0.0.2, 127.0.0.3 and on, as visitors come from many addresses.
    /// </summary>
    private const int PerSource = 10_000;

    /// <summary>Opens connections from 127.0.0.(1 + <paramref name="source"/>).</summary>
    private static HttpMessageInvoker FromSource(int source) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(1 + source)]), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    /// <summary>Sampled visitors write; an agent answers each; the answer must come down the visitor's open connection.</summary>
    private static async Task<int> RepliesReachVisitorsAsync(Uri baseAddress, string[] tokens, ConcurrentDictionary<int, ConcurrentQueue<string>> frames)
    {
        var cookies = new CookieContainer();
        using var agent = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies }) { BaseAddress = baseAddress };
        (await agent.PostAsJsonAsync("/api/auth/login", new { userName = "alice", password = GatewayServer.AgentPassword })).EnsureSuccessStatusCode();
        (await agent.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();
        using var visitors = new HttpClient { BaseAddress = baseAddress };
        var step = tokens.Length / Samples;
        var sampled = Enumerable.Range(0, Samples).Select(k => k * step).ToArray();
        foreach (var i in sampled)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/channels/webchat/messages") { Content = JsonContent.Create(new { clientMessageId = $"s{i}", text = "hello, is anyone there?" }) };
            request.Headers.Add("X-Visitor-Token", tokens[i]);
            var sent = await visitors.SendAsync(request);
            sent.EnsureSuccessStatusCode();
            var conversation = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("conversationId").GetGuid();
            (await agent.PostAsJsonAsync($"/api/conversations/{conversation}/messages", new { text = $"reply-{i}" })).EnsureSuccessStatusCode();
            await agent.PostAsync($"/api/conversations/{conversation}/close", null); // room for the next sample
        }

        var clock = Stopwatch.StartNew();
        int arrived;
        while ((arrived = sampled.Count(i => frames[i].Any(f => f.Contains($"reply-{i}", StringComparison.Ordinal)))) < Samples && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100);
        }

        return arrived;
    }

    private static async Task ReadAsync(ClientWebSocket socket, ConcurrentQueue<string> frames)
    {
        var buffer = new byte[4096];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var frame = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (frame.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                frames.Enqueue(Encoding.UTF8.GetString(buffer, 0, frame.Count));
            }
        }
        catch (WebSocketException)
        {
            // the connection dropped: counted by its state
        }
    }
}

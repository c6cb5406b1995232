using Microsoft.Extensions.Logging;
using System.Net.WebSockets;
using System.Text.Json;

namespace ChatGateway.Plugins.WebChat;

/// <summary>The live WebSocket connections of this instance's visitors, by visitor id.</summary>
internal sealed partial class VisitorConnections(ILogger<VisitorConnections> logger) : ChatGateway.Abstractions.IChannelConnectionCount
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // One lock for the whole map: a visitor's last tab closing while a new one opens must never leave
    // the new connection in a set that was just dropped from the map (it would miss every reply).
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<VisitorConnection>> _byVisitor = new(StringComparer.Ordinal);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byVisitor.Values.Sum(v => v.Count);
            }
        }
    }

    /// <summary>Whether the visitor has a tab connected to this gateway instance now.</summary>
    public bool IsConnected(string visitorId)
    {
        lock (_gate)
        {
            return _byVisitor.TryGetValue(visitorId, out var set) && set.Count > 0;
        }
    }

    public bool TryAdd(VisitorConnection connection, int maxPerVisitor)
    {
        lock (_gate)
        {
            if (!_byVisitor.TryGetValue(connection.VisitorId, out var set))
            {
                set = [];
                _byVisitor[connection.VisitorId] = set;
            }

            if (set.Count >= maxPerVisitor)
            {
                return false;
            }

            set.Add(connection);
            return true;
        }
    }

    public void Remove(VisitorConnection connection)
    {
        lock (_gate)
        {
            if (_byVisitor.TryGetValue(connection.VisitorId, out var set) && set.Remove(connection) && set.Count == 0)
            {
                _byVisitor.Remove(connection.VisitorId);
            }
        }
    }

    /// <summary>Sends a frame to every connection of the visitor; returns how many got it.</summary>
    public async Task<int> SendAsync(string visitorId, object frame, CancellationToken cancellationToken)
    {
        VisitorConnection[] targets;
        lock (_gate)
        {
            if (!_byVisitor.TryGetValue(visitorId, out var set) || set.Count == 0)
            {
                return 0;
            }

            targets = [.. set];
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(frame, Json);
        var delivered = 0;
        foreach (var connection in targets)
        {
            if (await connection.TrySendAsync(payload, cancellationToken))
            {
                delivered++;
            }
            else
            {
                LogDropped(logger);
            }
        }

        return delivered;
    }

    public async Task CloseAllAsync(CancellationToken cancellationToken)
    {
        VisitorConnection[] all;
        lock (_gate)
        {
            all = [.. _byVisitor.Values.SelectMany(v => v)];
        }

        foreach (var connection in all)
        {
            await connection.CloseAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "A visitor connection could not be written to; it will be dropped")]
    private static partial void LogDropped(ILogger logger);
}

/// <summary>One visitor WebSocket. Sends are serialized: a WebSocket allows one writer at a time.</summary>
internal sealed class VisitorConnection(string visitorId, WebSocket socket)
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public string VisitorId { get; } = visitorId;

    public WebSocket Socket { get; } = socket;

    public async Task<bool> TrySendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (Socket.State != WebSocketState.Open)
        {
            return false;
        }

        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await Socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // already gone
        }
    }
}

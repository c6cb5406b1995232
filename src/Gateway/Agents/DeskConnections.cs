using System.Collections.Concurrent;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// The desk connections open on this instance, by the session that opened them. A connection outlives the
/// request that authenticated it, so ending a session (sign-out, a password change, a disabled agent, expiry)
/// must also close its live connections: this instance checks its own every few seconds (one query for all
/// of them, whichever instance ended the session), and at once when the session ended here.
/// </summary>
internal sealed partial class DeskConnections(
    IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, ILogger<DeskConnections> logger) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(3);

    private readonly ConcurrentDictionary<string, (Guid SessionId, HubCallerContext Context)> _connections = new(StringComparer.Ordinal);
    private readonly System.Threading.Channels.Channel<bool> _wake = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    public void Add(HubCallerContext context)
    {
        if (context.User is { } user && AgentSessions.SessionId(user) is { } sessionId)
        {
            _connections[context.ConnectionId] = (sessionId, context);
        }
        else
        {
            context.Abort(); // no session: nothing could ever end it
        }
    }

    public void Remove(HubCallerContext context) => _connections.TryRemove(context.ConnectionId, out _);

    /// <summary>Desk connections open here now.</summary>
    public int Count => _connections.Count;

    /// <summary>A session ended on this instance: close its connections now rather than at the next sweep.</summary>
    public void SessionsEnded() => _wake.Writer.TryWrite(true);

    /// <summary>Closes the connections whose session is no longer open; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var open = _connections.ToArray();
        if (open.Length == 0)
        {
            return 0;
        }

        var ids = open.Select(c => c.Value.SessionId).Distinct().ToList();
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var alive = (await db.AgentSessions.AsNoTracking()
            .Where(s => ids.Contains(s.Id) && s.EndedAt == null && db.Agents.Any(a => a.Id == s.AgentId && a.Enabled))
            .Select(s => new { s.Id, s.ExpiresAt })
            .ToListAsync(cancellationToken))
            .Where(s => s.ExpiresAt > now)
            .Select(s => s.Id)
            .ToHashSet();
        var closed = 0;
        foreach (var (connectionId, (sessionId, context)) in open)
        {
            if (!alive.Contains(sessionId) && _connections.TryRemove(connectionId, out _))
            {
                LogClosed(logger, sessionId);
                context.Abort();
                closed++;
            }
        }

        return closed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using (var timeout = new CancellationTokenSource(SweepInterval, time))
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token))
                {
                    try
                    {
                        await _wake.Reader.ReadAsync(either.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                        // the sweep interval passed
                    }
                }

                await SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSweepFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1310, Level = LogLevel.Information, Message = "Closed a desk connection of ended session {SessionId}")]
    private static partial void LogClosed(ILogger logger, Guid sessionId);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Warning, Message = "Checking the sessions of open desk connections failed; trying again shortly")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.CannedReplies;

/// <summary>
/// Creates the starter set (<c>CannedReplies:Starter</c>) as shared replies, each once: a marker (GatewayKey
/// <c>canned:{shortcut}</c>) remembers it was offered, so a reply the shop deleted or changed stays as the shop left it, and
/// a starter reply added to the configuration later still arrives. A shared reply the shop made with that shortcut wins.
/// </summary>
internal sealed partial class CannedReplySeeder(
    IDbContextFactory<GatewayDbContext> dbFactory, IOptions<CannedReplyOptions> options, TimeProvider time, ILogger<CannedReplySeeder> logger) : IHostedService
{
    private const string Marker = "canned:";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var starter = options.Value.Starter;
        if (starter.Count == 0)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var offered = (await db.GatewayKeys.AsNoTracking().Where(k => k.Name.StartsWith(Marker)).Select(k => k.Name).ToListAsync(cancellationToken)).ToHashSet();
        var shared = (await db.CannedReplies.AsNoTracking().Where(r => r.AgentId == null).Select(r => r.Shortcut).ToListAsync(cancellationToken)).ToHashSet();
        var now = time.GetUtcNow();
        var added = 0;
        foreach (var s in starter)
        {
            var shortcut = CannedReplyText.NormalShortcut(s.Shortcut);
            if (!offered.Add(Marker + shortcut))
            {
                continue;
            }

            db.GatewayKeys.Add(new GatewayKey { Name = Marker + shortcut, Value = "offered", CreatedAt = now });
            if (shared.Add(shortcut))
            {
                db.CannedReplies.Add(new CannedReply
                {
                    Id = Ids.NewVersion7(now),
                    Shortcut = shortcut,
                    Title = s.Title.Trim(),
                    Text = s.Text.Trim(),
                    Skill = string.IsNullOrWhiteSpace(s.Skill) ? null : s.Skill.Trim().ToLowerInvariant(),
                    CreatedAt = now,
                    UpdatedAt = now,
                });
                added++;
            }
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Another instance starting at the same moment offered them first.
            LogRace(logger, ex.InnerException?.Message ?? ex.Message);
            return;
        }

        if (added > 0)
        {
            LogSeeded(logger, added);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 7410, Level = LogLevel.Information, Message = "{Count} starter canned replies created (CannedReplies:Starter)")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(EventId = 7411, Level = LogLevel.Information, Message = "Starter canned replies were created by another instance: {Reason}")]
    private static partial void LogRace(ILogger logger, string reason);
}

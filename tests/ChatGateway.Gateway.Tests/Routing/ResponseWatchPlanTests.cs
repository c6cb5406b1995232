using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// The response watch runs every 5 s over every assigned conversation. Looking for the agent's last answer
/// among all of a conversation's messages read each customer message since that answer (the bench's
/// agent, 80 busy conversations and no answers, spent 13% of the gateway's request threads in those reads
/// at 5,000 messages/s). Both of its lookups for replies must seek the index of sent messages.
/// </summary>
public sealed class ResponseWatchPlanTests
{
    [Fact]
    public async Task LastAnswerLookup_SeeksTheRepliesIndex()
    {
        var plan = await PlanAsync(db => ResponseWatchService.FirstUnansweredMessages(db).ToQueryString());

        Assert.Contains(plan, step => step.Contains("IX_Messages_Replies", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoAnswerSinceAssignedLookup_SeeksTheRepliesIndex()
    {
        var plan = await PlanAsync(db => ResponseWatchService.NotAnsweredSinceAssigned(db, DateTimeOffset.UtcNow).ToQueryString());

        Assert.Contains(plan, step => step.Contains("IX_Messages_Replies", StringComparison.Ordinal));
    }

    private static async Task<List<string>> PlanAsync(Func<ChatGateway.Gateway.Store.GatewayDbContext, string> query)
    {
        await using var host = await GatewayHost.StartAsync();
        await using var db = host.CreateDbContext();
        var sql = query(db);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // The parameters' declarations ToQueryString puts first are dropped: the plan does not depend on their values.
        command.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', sql.Split('\n').Where(line => !line.StartsWith(".param", StringComparison.Ordinal)));
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        return plan;
    }
}

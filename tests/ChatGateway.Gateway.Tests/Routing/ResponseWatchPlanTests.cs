using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// The response watch runs every 5 s over every assigned conversation. Looking for the agent's last answer
/// among all of a conversation's messages read each customer message since that answer (the bench's
/// agent, 80 busy conversations and no answers, spent 13% of the gateway's request threads in those reads
/// at 5,000 messages/s). Its lookup of replies must seek the index of sent messages, and the first
/// unanswered message comes from the conversation's inbound head, not from its messages.
/// </summary>
public sealed class ResponseWatchPlanTests
{
    [Fact]
    public async Task FirstUnansweredLookup_SeeksTheConversationsInboundHead_AndReadsNoMessage()
    {
        SqliteOnly.Require("SQLite query plan");
        string sql = "";
        var plan = await PlanAsync(db => sql = ResponseWatchService.FirstUnansweredMessages(db).ToQueryString());

        // The heads' key is the conversation's id (the conversations' own key is named Id).
        Assert.Contains(plan, step => step.Contains("USING PRIMARY KEY (ConversationId=?)", StringComparison.Ordinal));
        Assert.Contains("\"InboundHeads\"", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Messages\"", sql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoAnswerSinceAssignedLookup_SeeksTheRepliesIndex()
    {
        SqliteOnly.Require("SQLite query plan");
        var plan = await PlanAsync(db => ResponseWatchService.NotAnsweredSinceAssigned(db, DateTimeOffset.UtcNow).ToQueryString());

        Assert.Contains(plan, step => step.Contains("IX_Messages_Replies", StringComparison.Ordinal));
    }

    internal static async Task<List<string>> PlanAsync(Func<ChatGateway.Gateway.Store.GatewayDbContext, string> query)
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

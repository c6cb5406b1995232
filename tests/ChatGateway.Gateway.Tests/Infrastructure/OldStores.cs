namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>Puts a test's store file back to an earlier schema, to check what an upgrade does with it.</summary>
internal static class OldStores
{
    /// <summary>Undoes the InboundChains migration's schema (not its history row): no heads, no chains, no trigger.</summary>
    public const string WithoutChains = """
        DROP TRIGGER "Messages_AnswerEndsInboundRun";
        DROP TABLE "InboundHeads";
        DROP INDEX "IX_Messages_ConversationId_CreatedAt";
        ALTER TABLE "Messages" DROP COLUMN "PreviousInboundId";

        """;

    public static async Task RunAsync(string dataDirectory, string sql)
    {
        if (PostgreSqlServer.IsDefault)
        {
            Assert.Skip("an upgrade of a SQLite store from before PostgreSQL existed; the SQLite pass runs it");
        }

        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "gateway.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

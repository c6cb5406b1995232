using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class InboundChains : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "PreviousInboundId",
                table: "Messages",
                type: "TEXT",
                nullable: true);

            // One B-tree keyed by conversation (EF would create a rowid table and a second tree for its key).
            migrationBuilder.Sql(
                "CREATE TABLE \"InboundHeads\" (" +
                "\"ConversationId\" TEXT NOT NULL CONSTRAINT \"PK_InboundHeads\" PRIMARY KEY, " +
                "\"LastMessageId\" TEXT NOT NULL, \"LastMessageAt\" INTEGER NOT NULL, " +
                "\"RunStartId\" TEXT NULL, \"RunStartAt\" INTEGER NULL" +
                ") WITHOUT ROWID;");

            // The stored customer messages become chains, in the order they were stored, and each
            // conversation's run of unanswered ones starts after its last answer, before the index they were
            // read through goes.
            migrationBuilder.Sql(
                "WITH ordered AS (SELECT rowid AS row, LAG(\"Id\") OVER (PARTITION BY \"ConversationId\" ORDER BY \"CreatedAt\", rowid) AS previous " +
                "FROM \"Messages\" WHERE \"Direction\" = 0) " +
                "UPDATE \"Messages\" SET \"PreviousInboundId\" = ordered.previous FROM ordered WHERE \"Messages\".rowid = ordered.row;");
            migrationBuilder.Sql(
                "INSERT INTO \"InboundHeads\" (\"ConversationId\", \"LastMessageId\", \"LastMessageAt\") " +
                "SELECT \"ConversationId\", \"Id\", \"CreatedAt\" FROM (" +
                "SELECT \"ConversationId\", \"Id\", \"CreatedAt\", ROW_NUMBER() OVER (PARTITION BY \"ConversationId\" ORDER BY \"CreatedAt\" DESC, rowid DESC) AS n " +
                "FROM \"Messages\" WHERE \"Direction\" = 0) WHERE n = 1;");
            migrationBuilder.Sql(
                "UPDATE \"InboundHeads\" SET (\"RunStartId\", \"RunStartAt\") = (SELECT m.\"Id\", m.\"CreatedAt\" FROM \"Messages\" AS m " +
                "WHERE m.\"ConversationId\" = \"InboundHeads\".\"ConversationId\" AND m.\"Direction\" = 0 AND m.\"CreatedAt\" > coalesce((" +
                "SELECT max(o.\"CreatedAt\") FROM \"Messages\" AS o WHERE o.\"ConversationId\" = \"InboundHeads\".\"ConversationId\" " +
                "AND o.\"Direction\" = 1 AND o.\"AgentId\" IS NOT NULL), -9223372036854775808) " +
                "ORDER BY m.\"CreatedAt\", m.rowid LIMIT 1);");

            migrationBuilder.DropIndex(
                name: "IX_Messages_ConversationId_CreatedAt_ProviderKey",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ConversationId_CreatedAt",
                table: "Messages",
                columns: new[] { "ConversationId", "CreatedAt" },
                filter: "\"Direction\" <> 0");

            // An agent's answer ends the run, whichever connection stores it.
            migrationBuilder.Sql(
                "CREATE TRIGGER \"Messages_AnswerEndsInboundRun\" AFTER INSERT ON \"Messages\" " +
                "WHEN NEW.\"Direction\" = 1 AND NEW.\"AgentId\" IS NOT NULL BEGIN " +
                "UPDATE \"InboundHeads\" SET \"RunStartId\" = NULL, \"RunStartAt\" = NULL WHERE \"ConversationId\" = NEW.\"ConversationId\"; " +
                "END;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER \"Messages_AnswerEndsInboundRun\";");

            migrationBuilder.DropTable(
                name: "InboundHeads");

            migrationBuilder.DropIndex(
                name: "IX_Messages_ConversationId_CreatedAt",
                table: "Messages");

            migrationBuilder.DropColumn(
                name: "PreviousInboundId",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_ConversationId_CreatedAt_ProviderKey",
                table: "Messages",
                columns: new[] { "ConversationId", "CreatedAt", "ProviderKey" });
        }
    }
}

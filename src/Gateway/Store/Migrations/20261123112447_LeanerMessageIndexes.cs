using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class LeanerMessageIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Messages_InstanceId_ExternalId_ConversationId",
                table: "Messages");

            migrationBuilder.DropIndex(
                name: "IX_Messages_Status_NextAttemptAt",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_AgentId_CreatedAt",
                table: "Messages",
                columns: new[] { "AgentId", "CreatedAt" },
                filter: "\"Status\" = 4");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_NextAttemptAt",
                table: "Messages",
                column: "NextAttemptAt",
                filter: "\"Status\" = 1");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Messages_AgentId_CreatedAt",
                table: "Messages");

            migrationBuilder.DropIndex(
                name: "IX_Messages_NextAttemptAt",
                table: "Messages");

            migrationBuilder.CreateIndex(
                name: "IX_Messages_InstanceId_ExternalId_ConversationId",
                table: "Messages",
                columns: new[] { "InstanceId", "ExternalId", "ConversationId" });

            migrationBuilder.CreateIndex(
                name: "IX_Messages_Status_NextAttemptAt",
                table: "Messages",
                columns: new[] { "Status", "NextAttemptAt" });
        }
    }
}

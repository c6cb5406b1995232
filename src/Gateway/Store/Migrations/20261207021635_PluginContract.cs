using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ChatGateway.Gateway.Store.Migrations
{
    /// <inheritdoc />
    public partial class PluginContract : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SpeakerId",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SpeakerName",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UnsupportedKind",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 40,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UnsupportedSummary",
                table: "MessageContents",
                type: "TEXT",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "AvatarId",
                table: "Contacts",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ProfileLanguage",
                table: "ChannelIdentities",
                type: "TEXT",
                maxLength: 35,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ProfileName",
                table: "ChannelIdentities",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ProfileUpdatedAt",
                table: "ChannelIdentities",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ContactId",
                table: "Attachments",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ReplyContexts",
                columns: table => new
                {
                    ConversationId = table.Column<Guid>(type: "TEXT", nullable: false),
                    InstanceId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Value = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SingleUse = table.Column<bool>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReplyContexts", x => new { x.ConversationId, x.InstanceId });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReplyContexts");

            migrationBuilder.DropColumn(
                name: "SpeakerId",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "SpeakerName",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "UnsupportedKind",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "UnsupportedSummary",
                table: "MessageContents");

            migrationBuilder.DropColumn(
                name: "AvatarId",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "ProfileLanguage",
                table: "ChannelIdentities");

            migrationBuilder.DropColumn(
                name: "ProfileName",
                table: "ChannelIdentities");

            migrationBuilder.DropColumn(
                name: "ProfileUpdatedAt",
                table: "ChannelIdentities");

            migrationBuilder.DropColumn(
                name: "ContactId",
                table: "Attachments");
        }
    }
}

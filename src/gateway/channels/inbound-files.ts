import type { ChannelAdapter, ChannelContext, InboundFile } from './channel-adapter.ts';

/** A text file up to this size is put into the task's goal whole. */
export const MAX_INLINE_FILE_BYTES = 64 * 1024;
const MAX_FILES = 5;
const TEXT_TYPES =
  /^(text\/|application\/(json|xml|x-yaml|yaml|x-sh|javascript|typescript|x-python|csv|sql|toml))/;

/**
 * How a message's files reach its task (docs/channels.md, "Files"): a text file up to 64 KiB is
 * fetched by the gateway and put into the goal in a fenced block, under its name; any other file
 * (an image, a PDF, an archive) is named in the goal with its type and size and not fetched: the
 * task protocol carries text only today. A file the platform will not hand over is named with why.
 */
export async function describeFiles(
  adapter: ChannelAdapter,
  context: ChannelContext,
  files: readonly InboundFile[],
): Promise<string> {
  const blocks: string[] = [];
  for (const file of files.slice(0, MAX_FILES)) {
    const size = file.size !== undefined ? `, ${file.size} bytes` : '';
    if (!TEXT_TYPES.test(file.mediaType) || (file.size ?? 0) > MAX_INLINE_FILE_BYTES || !adapter.fetchFile) {
      blocks.push(
        `[attached: ${file.name} (${file.mediaType}${size}); not passed to the task: only text files up to 64 KiB are]`,
      );
      continue;
    }
    try {
      const bytes = await adapter.fetchFile(context, file, MAX_INLINE_FILE_BYTES);
      const text = bytes.toString('utf8').replaceAll('```', '`\u200b``');
      blocks.push(`Attached file ${file.name} (${file.mediaType}):\n\`\`\`\n${text}\n\`\`\``);
    } catch (error) {
      blocks.push(
        `[attached: ${file.name} (${file.mediaType}${size}); could not be fetched: ${(error as Error).message}]`,
      );
    }
  }
  if (files.length > MAX_FILES) blocks.push(`[${files.length - MAX_FILES} more files not passed]`);
  return blocks.join('\n\n');
}

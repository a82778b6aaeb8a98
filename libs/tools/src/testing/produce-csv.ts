/** A small CSV with empty cells, mixed-type and quoted values, for the dataset tests. */
export const PRODUCE_CSV = [
  "id,name,price,in_stock,added,category,code",
  "1,Apple,1.5,true,2024-01-05,fruit,A1",
  "2,Banana,,false,2024-02-10,fruit,2",
  "3,Carrot,0.75,TRUE,,vegetable,3",
  "4,Durian,12,NA,2024-03-01,fruit,",
  '5,"Eggplant, purple",3.25,false,2024-01-20,,B7',
  "6,Fig,n/a,true,2024-02-29T10:30:00Z,fruit,C9",
].join("\n");
